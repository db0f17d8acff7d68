package taskrunner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// volume_mount blocks resolve to the client's host directories: per_alloc
// picks the allocation's own volume, and read_only from any of the three
// places makes the mount read-only.
func TestResolveMounts(t *testing.T) {
	dir := t.TempDir()
	host := map[string]*structs.ClientHostVolume{
		"db[2]":  {Name: "db[2]", Path: dir},
		"shared": {Name: "shared", Path: dir, ReadOnly: true},
		"logs":   {Name: "logs", Path: dir},
	}
	vols := []*structs.VolumeRequest{
		{Name: "data", Type: "host", Source: "db", PerAlloc: true},
		{Name: "s", Type: "host", Source: "shared"},
		{Name: "l", Type: "host", Source: "logs", ReadOnly: true},
	}
	mounts := []*structs.VolumeMount{
		{Volume: "data", Destination: "/data"},
		{Volume: "s", Destination: "/shared"},
		{Volume: "l", Destination: "/logs"},
	}
	got, err := ResolveMounts(mounts, vols, host, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []drivers.MountConfig{
		{Volume: "data", HostPath: dir, TaskPath: "/data"},
		{Volume: "s", HostPath: dir, TaskPath: "/shared", ReadOnly: true},
		{Volume: "l", HostPath: dir, TaskPath: "/logs", ReadOnly: true},
	}
	for i := range want {
		if *got[i] != want[i] {
			t.Errorf("mount %d = %+v, want %+v", i, *got[i], want[i])
		}
	}
	if _, err := ResolveMounts(mounts[:1], vols, host, 0); err == nil || !strings.Contains(err.Error(), `this client has no host volume "db[0]"`) {
		t.Fatalf("missing per-alloc volume: err = %v", err)
	}
	host["logs"] = &structs.ClientHostVolume{Name: "logs", Path: filepath.Join(dir, "gone")}
	if _, err := ResolveMounts(mounts[2:], vols, host, 0); err == nil || !strings.Contains(err.Error(), `volume "l": host volume "logs"`) {
		t.Fatalf("removed directory: err = %v", err)
	}
}

// The hook sets APPMESH_VOLUME_<LABEL> to the path inside the task unless
// the task sets the variable itself.
func TestVolumesHookEnv(t *testing.T) {
	dir := t.TempDir()
	h := &volumesHook{
		mounts:  []*structs.VolumeMount{{Volume: "my-data.v1", Destination: "/data"}, {Volume: "b", Destination: "/b"}},
		volumes: []*structs.VolumeRequest{{Name: "my-data.v1", Type: "host", Source: "x"}, {Name: "b", Type: "host", Source: "x"}},
		host:    map[string]*structs.ClientHostVolume{"x": {Name: "x", Path: dir}},
	}
	cfg := &drivers.TaskConfig{Env: map[string]string{"APPMESH_VOLUME_B": "mine"}}
	if err := h.Prestart(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Env["APPMESH_VOLUME_MY_DATA_V1"] != "/data" || cfg.Env["APPMESH_VOLUME_B"] != "mine" || len(cfg.Mounts) != 2 {
		t.Fatalf("env = %v, mounts = %v", cfg.Env, cfg.Mounts)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
}
