package client

import (
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// A client that cannot reach the servers stops the allocations of a group
// with stop_after_client_disconnect once that long has passed, and leaves
// the others running.
func TestClient_StopAfterClientDisconnect(t *testing.T) {
	srv := newTestServer(t)
	c := newTestClient(t, srv, t.TempDir())
	waitFor(t, "registration", func() bool { r, _ := srv.counts(); return r == 1 })

	stopping := shJob("stopping", `exec sleep 600`)
	limit := structs.Duration(2 * time.Second)
	stopping.Groups[0].StopAfterClientDisconnect = &limit
	staying := shJob("staying", `exec sleep 600`)
	for _, job := range []*structs.Job{stopping, staying} {
		srv.addJob(job)
	}
	a1, a2 := newAlloc(c, stopping), newAlloc(c, staying)
	srv.upsertAlloc(a1)
	srv.upsertAlloc(a2)
	waitFor(t, "both running", func() bool {
		return statusIs(srv, a1.ID, structs.AllocClientRunning)() && statusIs(srv, a2.ID, structs.AllocClientRunning)()
	})

	srv.mu.Lock()
	srv.unreachable = true
	srv.mu.Unlock()
	cut := time.Now()
	waitFor(t, "the stop_after_client_disconnect allocation stopped", statusIs(srv, a1.ID, structs.AllocClientComplete))
	if away := time.Since(cut); away < limit.Std() {
		t.Fatalf("stopped after %s, before its limit %s", away, limit.Std())
	}
	var reason string
	for _, e := range srv.alloc(a1.ID).TaskStates["web"].Events {
		reason += e.Message + "\n"
	}
	if !strings.Contains(reason, "stop_after_client_disconnect 2s") {
		t.Fatalf("task events do not say why:\n%s", reason)
	}
	if st := srv.alloc(a2.ID).ClientStatus; st != structs.AllocClientRunning {
		t.Fatalf("the other allocation is %s, want running", st)
	}
}
