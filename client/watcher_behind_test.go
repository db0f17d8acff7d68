package client

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// A stop is listed by one server, but the fetch of the allocation is
// answered by a server still behind it, with the old version. The client
// must fetch again rather than keep the old version: nothing else would
// make it look at that allocation again, and the task would run on.
func TestClient_RefetchesAllocationOlderThanListed(t *testing.T) {
	srv := newTestServer(t)
	c := newTestClient(t, srv, t.TempDir())
	waitFor(t, "registration", func() bool { r, _ := srv.counts(); return r == 1 })
	job := shJob("sleeper", `echo $$ > "$APPMESH_TASK_DIR/pid"; exec sleep 600`)
	srv.addJob(job)
	alloc := newAlloc(c, job)
	srv.upsertAlloc(alloc)
	waitFor(t, "alloc running", statusIs(srv, alloc.ID, structs.AllocClientRunning))
	pid := taskPID(t, c, alloc.ID)

	srv.mu.Lock()
	old := srv.allocs[alloc.ID].Copy()
	srv.behind = map[string]*structs.Allocation{alloc.ID: old}
	srv.mu.Unlock()
	srv.setDesired(alloc.ID, structs.AllocDesiredStop)

	waitFor(t, "the stop carried out", statusIs(srv, alloc.ID, structs.AllocClientComplete))
	waitFor(t, "process "+pid+" gone", processGone(pid))
}
