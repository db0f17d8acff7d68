package exec

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// TestSweepRemovesOnlyOldEmptyCgroups runs the sweep on the backend this
// host uses and on its cgroup2 hierarchy (the same one on a unified host).
func TestSweepRemovesOnlyOldEmptyCgroups(t *testing.T) {
	t.Run("detected", func(t *testing.T) {
		be, err := detectBackend(cgroupOptions{})
		if err != nil {
			t.Skipf("SKIP: no cgroup filesystem here: %v", err)
		}
		testSweep(t, be)
	})
	t.Run("v2", func(t *testing.T) {
		be, err := newV2(v2Mount(t), hclog.NewNullLogger())
		if err != nil {
			t.Fatal(err)
		}
		testSweep(t, be)
	})
}

func testSweep(t *testing.T, be cgroupBackend) {
	t.Logf("%s, parent %s", be.version(), be.parentDir())
	old := fmt.Sprintf("sweep-old-%d", os.Getpid())
	fresh := fmt.Sprintf("sweep-new-%d", os.Getpid())
	busy := fmt.Sprintf("sweep-busy-%d", os.Getpid())
	for _, name := range []string{old, fresh, busy} {
		if err := be.create(name, &limits{shares: 1024}); err != nil {
			t.Fatalf("create cgroup %s: %v", name, err)
		}
	}
	t.Cleanup(func() {
		for _, name := range []string{old, fresh, busy} {
			_ = be.kill(name)
			_ = be.remove(name)
		}
	})
	parent := be.parentDir()
	past := time.Now().Add(-2 * staleAfter)
	if v, ok := be.(*v2); ok {
		// An old cgroup that still holds a process belongs to a live task.
		startIn(t, v, busy, "exec sleep 300")
		pollUntil(t, "a process in "+busy, func() bool { p, _ := be.procs(busy); return len(p) == 1 }, func() string { return "" })
		if err := os.Chtimes(filepath.Join(parent, busy), past, past); err != nil {
			t.Fatalf("age the cgroup: %v", err)
		}
	}
	if err := os.Chtimes(filepath.Join(parent, old), past, past); err != nil {
		t.Fatalf("age the cgroup: %v", err)
	}
	sweepStaleCgroups(be, hclog.NewNullLogger())
	if _, err := os.Stat(filepath.Join(parent, old)); !os.IsNotExist(err) {
		t.Fatalf("an empty cgroup older than %s was kept (%v)", staleAfter, err)
	}
	if _, err := os.Stat(filepath.Join(parent, fresh)); err != nil {
		t.Fatalf("a fresh cgroup (maybe a task starting) was removed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(parent, busy)); err != nil {
		t.Fatalf("an old cgroup with a live process was removed: %v", err)
	}
}
