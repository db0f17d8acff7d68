package docker

import (
	"testing"

	"github.com/moby/moby/api/types/mount"

	"github.com/appmesh/appmesh/drivers"
)

// A task's host volumes become bind mounts of the container, read-only
// when asked, without docker_volumes_enabled (the operator offered them).
func TestHostVolumeMounts(t *testing.T) {
	cfg := &drivers.TaskConfig{
		ID:     "a/t",
		Config: map[string]any{"image": "busybox:1"},
		Mounts: []*drivers.MountConfig{
			{Volume: "data", HostPath: "/srv/a:b", TaskPath: "/data"},
			{Volume: "ref", HostPath: "/srv/ref", TaskPath: "/ref", ReadOnly: true},
		},
	}
	tc, err := parseConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := createOptions(cfg, tc)
	if err != nil {
		t.Fatal(err)
	}
	want := []mount.Mount{
		{Type: mount.TypeBind, Source: "/srv/a:b", Target: "/data"},
		{Type: mount.TypeBind, Source: "/srv/ref", Target: "/ref", ReadOnly: true},
	}
	got := opts.HostConfig.Mounts
	if len(got) != len(want) {
		t.Fatalf("mounts = %+v", got)
	}
	for i := range want {
		if got[i].Type != want[i].Type || got[i].Source != want[i].Source || got[i].Target != want[i].Target || got[i].ReadOnly != want[i].ReadOnly {
			t.Errorf("mount %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
