package executor

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/drivers"
)

// Host volumes join the isolated task's root after its own directories,
// writable unless read-only; a missing host path is an error, not skipped
// like a default chroot_env entry.
func TestNSSpecMounts(t *testing.T) {
	host := t.TempDir()
	task := t.TempDir()
	cfg := &drivers.TaskConfig{TaskDir: task, Mounts: []*drivers.MountConfig{
		{Volume: "data", HostPath: host, TaskPath: "/srv/data"},
		{Volume: "ref", HostPath: host + "/", TaskPath: "/ref/", ReadOnly: true},
	}}
	spec := &launchSpec{argv: []string{"/bin/true"}, path: "/bin/true"}
	s, err := buildNSSpec(cfg, spec, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	n := len(s.Binds)
	if n < 3 || s.Binds[n-3].Dst != task {
		t.Fatalf("binds = %+v: want the task dir, then the volumes", s.Binds)
	}
	if got := s.Binds[n-2]; got != (nsBind{Src: host, Dst: "/srv/data", RW: true}) {
		t.Errorf("data bind = %+v", got)
	}
	if got := s.Binds[n-1]; got != (nsBind{Src: host, Dst: "/ref"}) {
		t.Errorf("ref bind = %+v", got)
	}
	cfg.Mounts = []*drivers.MountConfig{{Volume: "gone", HostPath: filepath.Join(host, "nope"), TaskPath: "/x"}}
	if _, err := buildNSSpec(cfg, spec, t.TempDir()); err == nil || !strings.Contains(err.Error(), `volume "gone": host path`) {
		t.Fatalf("missing host path: err = %v", err)
	}
}

// Without isolation the volume is linked into the task dir and its host
// path given in APPMESH_VOLUME_<LABEL>, replacing the in-task path.
func TestLinkMounts(t *testing.T) {
	host := t.TempDir()
	task := t.TempDir()
	cfg := &drivers.TaskConfig{TaskDir: task, Mounts: []*drivers.MountConfig{{Volume: "data", HostPath: host, TaskPath: "/srv/data"}}}
	spec := &launchSpec{env: []string{"A=1", "APPMESH_VOLUME_DATA=/srv/data"}}
	for range 2 { // a restart finds the link in place
		if err := linkMounts(cfg, spec); err != nil {
			t.Fatal(err)
		}
	}
	if dst, err := filepath.EvalSymlinks(filepath.Join(task, "srv", "data")); err != nil || dst != host {
		t.Fatalf("link resolves to %q, %v; want %q", dst, err, host)
	}
	if strings.Join(spec.env, " ") != "A=1 APPMESH_VOLUME_DATA="+host {
		t.Fatalf("env = %v", spec.env)
	}
}
