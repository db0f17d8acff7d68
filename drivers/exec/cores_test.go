package exec

import (
	"os"
	"path/filepath"
	"testing"
)

// The exec driver skips cores the host has pinned (a container, a task it
// recovered after a restart) besides its own reservations.
func TestCoreSetSkipsPinnedCores(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"cpuset.cpus":                    "0-3",
		"docker/abc/cpuset.cpus":         "0",
		"docker/abc/cgroup.procs":        "42",
		"appmesh/recovered/cpuset.cpus":  "2",
		"appmesh/recovered/cgroup.procs": "43",
	}
	for name, data := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := &coreSet{all: []int{0, 1, 2, 3}, root: root, used: map[int]string{}}
	got, err := s.reserve("a", 1)
	if err != nil || got != "1" {
		t.Fatalf("first reservation = %q, %v; want core 1 (0 and 2 are pinned)", got, err)
	}
	if got, err = s.reserve("b", 1); err != nil || got != "3" {
		t.Fatalf("second reservation = %q, %v; want core 3", got, err)
	}
	if _, err = s.reserve("c", 1); err == nil {
		t.Fatal("a third core was handed out; every core is pinned or reserved")
	}
	s.release("a")
	if got, err = s.reserve("c", 1); err != nil || got != "1" {
		t.Fatalf("after a release = %q, %v; want core 1 again", got, err)
	}
}
