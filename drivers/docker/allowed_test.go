package docker_test

import (
	"context"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/appmesh/appmesh/structs"
)

// Host bind mounts and privileged containers are refused unless the
// client allows them, with a message naming the setting; once allowed they
// reach the engine as asked.
func TestHostVolumesAndPrivilegedNeedTheClientSetting(t *testing.T) {
	d := newDriver(t)
	hostDir := t.TempDir()
	refused := []struct {
		name    string
		config  map[string]any
		setting string
	}{
		{"bind", map[string]any{"image": testImage, "volumes": []any{hostDir + ":/data:ro"}}, "docker_volumes_enabled = true"},
		{"priv", map[string]any{"image": testImage, "privileged": true}, "docker_privileged_enabled = true"},
	}
	for _, c := range refused {
		cfg := taskCfg(t, c.name, c.config, &structs.Resources{MemoryMB: 32})
		_, err := d.StartTask(cfg)
		if err == nil {
			d.DestroyTask(cfg.ID, true)
			t.Fatalf("%s: StartTask succeeded without the client's permission", c.name)
		}
		if !strings.Contains(err.Error(), c.setting) {
			t.Fatalf("%s: error %q does not name the setting %q", c.name, err, c.setting)
		}
		t.Logf("%s refused: %v", c.name, err)
	}

	cfg := taskCfg(t, "bound", map[string]any{"image": testImage, "volumes": []any{hostDir + ":/data:ro"}}, &structs.Resources{MemoryMB: 32})
	cfg.HostVolumesAllowed = true
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask with host volumes allowed: %v", err)
	}
	defer d.DestroyTask(cfg.ID, true)
	in, err := engine(t).ContainerInspect(context.Background(), "appmesh-bound-"+cfg.AllocID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if hc := in.Container.HostConfig; hc.Privileged || len(hc.Binds) != 1 || hc.Binds[0] != hostDir+":/data:ro" {
		t.Fatalf("privileged = %v, binds = %v", hc.Privileged, hc.Binds)
	}

	// An engine that itself runs in an unprivileged container can create a
	// privileged container but not start it (the driver then removes it);
	// what matters is that the driver let the request through.
	cfg = taskCfg(t, "priv", map[string]any{"image": testImage, "privileged": true}, &structs.Resources{MemoryMB: 32})
	cfg.PrivilegedAllowed = true
	_, err = d.StartTask(cfg)
	if err == nil {
		defer d.DestroyTask(cfg.ID, true)
		in, err := engine(t).ContainerInspect(context.Background(), "appmesh-priv-"+cfg.AllocID, client.ContainerInspectOptions{})
		if err != nil || !in.Container.HostConfig.Privileged {
			t.Fatalf("inspect = %v: the container should be privileged", err)
		}
		return
	}
	if strings.Contains(err.Error(), "docker_privileged_enabled") || !strings.Contains(err.Error(), "starting container") {
		t.Fatalf("StartTask with privileged allowed did not get as far as starting the container: %v", err)
	}
	t.Logf("the engine created the privileged container but could not start it here: %v", err)
}

// privileged is a boolean: anything else is an error, not a guess.
func TestPrivilegedMustBeABool(t *testing.T) {
	d := newDriver(t)
	cfg := taskCfg(t, "x", map[string]any{"image": testImage, "privileged": "yes"}, nil)
	if _, err := d.StartTask(cfg); err == nil || !strings.Contains(err.Error(), "privileged must be true or false") {
		t.Fatalf("StartTask = %v", err)
	}
}
