package docker_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/moby/moby/client"

	"github.com/appmesh/appmesh/drivers"
)

func containerID(t *testing.T, h *drivers.TaskHandle) string {
	t.Helper()
	var st struct {
		ContainerID string `json:"container_id"`
	}
	if err := json.Unmarshal(h.DriverState, &st); err != nil || st.ContainerID == "" {
		t.Fatalf("handle driver state %s: %v", h.DriverState, err)
	}
	return st.ContainerID
}

// appmeshContainers lists the engine's containers of one allocation.
func appmeshContainers(t *testing.T, allocID string) []string {
	t.Helper()
	list, err := engine(t).ContainerList(context.Background(), client.ContainerListOptions{
		All: true, Filters: make(client.Filters).Add("label", "appmesh.alloc_id="+allocID),
	})
	if err != nil {
		t.Fatalf("listing containers: %v", err)
	}
	var ids []string
	for _, c := range list.Items {
		ids = append(ids, c.ID)
	}
	return ids
}

// An agent killed between StartTask and saving the handle asks the
// surviving plugin for the same task again: it gets the container it
// already runs, not an "already exists" error nor a second container.
func TestStartTwiceReturnsRunningContainer(t *testing.T) {
	d := newDriver(t)
	cfg := taskCfg(t, "web", map[string]any{"image": testImage}, nil)
	first, err := d.StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	defer d.DestroyTask(cfg.ID, true)
	again, err := d.StartTask(cfg)
	if err != nil {
		t.Fatalf("second StartTask of the same task: %v", err)
	}
	if a, b := containerID(t, first), containerID(t, again); a != b {
		t.Fatalf("second StartTask gave container %s, want the first one %s", b, a)
	}
	if ids := appmeshContainers(t, cfg.AllocID); len(ids) != 1 {
		t.Fatalf("containers of the allocation: %v, want one", ids)
	}
}

// When the plugin died with the agent, a new plugin adopts the container
// still running under the task's name: same container, still running,
// and it can be stopped and destroyed through the new plugin.
func TestNewPluginAdoptsRunningContainer(t *testing.T) {
	old := newDriver(t)
	cfg := taskCfg(t, "web", map[string]any{"image": testImage}, nil)
	first, err := old.StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	fresh := newDriver(t)
	defer fresh.DestroyTask(cfg.ID, true)
	again, err := fresh.StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask in a new plugin: %v", err)
	}
	if a, b := containerID(t, first), containerID(t, again); a != b {
		t.Fatalf("new plugin started container %s, want it to adopt %s", b, a)
	}
	if ids := appmeshContainers(t, cfg.AllocID); len(ids) != 1 {
		t.Fatalf("containers of the allocation: %v, want one", ids)
	}
	st, err := fresh.InspectTask(cfg.ID)
	if err != nil || st.State != drivers.TaskStateRunning {
		t.Fatalf("InspectTask = %+v, %v; want running", st, err)
	}
	if err := fresh.StopTask(cfg.ID, 0, "SIGKILL"); err != nil {
		t.Fatalf("StopTask of the adopted container: %v", err)
	}
	waitTask(t, fresh, cfg.ID)
	if err := fresh.DestroyTask(cfg.ID, false); err != nil {
		t.Fatalf("DestroyTask: %v", err)
	}
	if ids := appmeshContainers(t, cfg.AllocID); len(ids) != 0 {
		t.Fatalf("containers after destroy: %v, want none", ids)
	}
}

// A container of the task's name that has stopped is not adopted: the
// task is started anew in a new container, and the old one is gone.
func TestStoppedContainerIsReplaced(t *testing.T) {
	old := newDriver(t)
	cfg := taskCfg(t, "web", map[string]any{"image": testImage}, nil)
	first, err := old.StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	if err := old.StopTask(cfg.ID, 0, "SIGKILL"); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	waitTask(t, old, cfg.ID)
	fresh := newDriver(t)
	defer fresh.DestroyTask(cfg.ID, true)
	again, err := fresh.StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask in a new plugin: %v", err)
	}
	if containerID(t, first) == containerID(t, again) {
		t.Fatalf("the stopped container %s was adopted; want a new one", containerID(t, first))
	}
	ids := appmeshContainers(t, cfg.AllocID)
	if len(ids) != 1 || ids[0] != containerID(t, again) {
		t.Fatalf("containers of the allocation: %v, want only %s", ids, containerID(t, again))
	}
}
