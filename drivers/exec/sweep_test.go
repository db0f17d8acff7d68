package exec

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

func TestSweepRemovesOnlyOldEmptyCgroups(t *testing.T) {
	be, err := detectBackend()
	if err != nil {
		t.Skipf("no cgroup filesystem here: %v", err)
	}
	old := fmt.Sprintf("sweep-old-%d", os.Getpid())
	fresh := fmt.Sprintf("sweep-new-%d", os.Getpid())
	for _, name := range []string{old, fresh} {
		if err := be.create(name, &limits{shares: 1024}); err != nil {
			t.Fatalf("create cgroup %s: %v", name, err)
		}
	}
	t.Cleanup(func() { _ = be.remove(old); _ = be.remove(fresh) })
	parent := "/sys/fs/cgroup/" + parentCgroup
	if be.version() == "cgroup v1" {
		parent = "/sys/fs/cgroup/memory/" + parentCgroup
	}
	past := time.Now().Add(-2 * staleAfter)
	if err := os.Chtimes(parent+"/"+old, past, past); err != nil {
		t.Fatalf("age the cgroup: %v", err)
	}
	sweepStaleCgroups(be, hclog.NewNullLogger())
	if _, err := os.Stat(parent + "/" + old); !os.IsNotExist(err) {
		t.Fatalf("an empty cgroup older than %s was kept (%v)", staleAfter, err)
	}
	if _, err := os.Stat(parent + "/" + fresh); err != nil {
		t.Fatalf("a fresh cgroup (maybe a task starting) was removed: %v", err)
	}
}
