package client

import (
	"strconv"
	"testing"

	"github.com/appmesh/appmesh/client/state"
	"github.com/appmesh/appmesh/structs"
)

// The stop of an allocation reached the client, which saved it, and the
// agent died before its task did. The servers will not send that stop
// again (the saved modify index is current), so the restarted agent must
// carry it out instead of letting the restart policy bring the task back.
// The fault schedules found a task left running this way after a client
// kill -9 (seed 30570113).
func TestClient_RestoredStopIsCarriedOut(t *testing.T) {
	dataDir, allocID := t.TempDir(), structs.GenerateID()
	pid := startAndKillAgent(t, dataDir, allocID)

	db, err := state.Open(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	restored, errs := db.Allocs()
	if len(errs) > 0 || len(restored) != 1 {
		t.Fatalf("saved allocations: %d, errors %v", len(restored), errs)
	}
	saved := restored[0].Alloc.Copy()
	saved.DesiredStatus = structs.AllocDesiredStop
	saved.AllocModifyIndex = 1 << 40 // newer than anything the test server lists
	if err := db.PutAlloc(&state.AllocRecord{Alloc: saved, Job: restored[0].Job}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	srv := newTestServer(t)
	c, err := New(&Config{DataDir: dataDir, RPC: srv, RawExecEnabled: true, Logger: testLogger(t), KillTasksOnShutdown: true})
	if err != nil {
		t.Fatal(err)
	}
	job := surviveJob()
	srv.addJob(job)
	stopped := surviveAlloc(allocID, c.NodeID(), job)
	stopped.DesiredStatus = structs.AllocDesiredStop
	srv.upsertAlloc(stopped)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Shutdown() })
	waitFor(t, "the restored, stopped task killed", processGone(strconv.Itoa(pid)))
	waitFor(t, "alloc complete", statusIs(srv, allocID, structs.AllocClientComplete))
}
