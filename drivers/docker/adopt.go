package docker

import (
	"context"
	"fmt"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/appmesh/appmesh/drivers"
)

// The agent has a crash window between a driver starting a task and the
// client saving the task's handle: an agent killed there never learned the
// handle, and the next one asks for the same task (its ID is the
// allocation and task name) again. The client destroys a task before it
// starts it anew, so a second start of a task ID means that window was hit;
// the container already running for it is adopted instead of a second one
// being created (or the first one being replaced, restarting the task).

// alreadyStarted returns the handle of a task this plugin still runs: the
// agent died but the plugin lived on. Running or already exited, it is the
// task the agent asked for; an exit is then reported to the agent through
// WaitTask and handled by the restart policy.
func (d *Driver) alreadyStarted(id string) (*drivers.TaskHandle, bool) {
	d.mu.Lock()
	t := d.tasks[id]
	d.mu.Unlock()
	if t == nil {
		return nil, false // unknown, or a start under way (reserve refuses it)
	}
	h, err := t.handle()
	if err != nil {
		return nil, false
	}
	d.logger.Info("task was already started for an agent that did not record it: returning its handle",
		"task_id", id, "container_id", t.containerID)
	return h, true
}

// adoptRunning covers the same window when the plugin died with the agent:
// the engine still runs the container under the task's deterministic name.
// It is adopted when it runs, belongs to this allocation and task, and runs
// the image asked for; nil (and no error) means there is nothing to adopt,
// and run replaces whatever container holds the name. The caller has
// reserved cfg.ID.
func (d *Driver) adoptRunning(c *client.Client, cfg *drivers.TaskConfig, image string) (*task, error) {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	name := ContainerName(cfg)
	in, err := c.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if cerrdefs.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("inspecting container %s: %w", name, err)
	}
	ct := in.Container
	if ct.State == nil || !ct.State.Running || ct.Config == nil {
		d.logger.Info("replacing a stopped container left for the task", "task_id", cfg.ID, "container_id", ct.ID)
		return nil, nil
	}
	l := ct.Config.Labels
	if l["appmesh.alloc_id"] != cfg.AllocID || l["appmesh.task"] != cfg.TaskName || ct.Config.Image != image {
		d.logger.Warn("replacing a running container of the task's name that is not this task",
			"task_id", cfg.ID, "container_id", ct.ID, "image", ct.Config.Image)
		return nil, nil
	}
	started, err := time.Parse(time.RFC3339Nano, ct.State.StartedAt)
	if err != nil {
		started = time.Now()
	}
	t := &task{id: cfg.ID, cfg: cfg, containerID: ct.ID, startedAt: started, done: make(chan struct{})}
	// Output from now on: what the dead plugin copied is already in the
	// files, and a replay from the start would write it twice.
	if err := d.followLogs(c, t, time.Now()); err != nil {
		return nil, fmt.Errorf("following logs of adopted container %s: %w", ct.ID, err)
	}
	go d.watch(c, t)
	d.logger.Info("adopted the running container of a task started for an agent that did not record it",
		"task_id", cfg.ID, "container_id", ct.ID)
	return t, nil
}
