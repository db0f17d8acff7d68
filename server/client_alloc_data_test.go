package server

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/transport"
)

// A previous allocation's data (ephemeral_disk migrate) is relayed only to
// the node of its replacement, proven by that node's secret; anyone else
// is refused before the previous node is asked.
func TestAllocData_OnlyTheReplacementsNodeMayFetch(t *testing.T) {
	s := testServer(t, nil)
	old := testNode("old", 4000, 4096)
	registerNode(t, s, old)
	job := testJob("db", 1, 64)
	job.Groups[0].EphemeralDisk = &structs.EphemeralDisk{Migrate: true}
	registerJob(t, s, job)
	var orig *structs.Allocation
	waitFor(t, "the allocation placed on old", func() bool {
		allocs, _ := s.State().AllocsByNode(nil, old.ID)
		if len(allocs) == 1 {
			orig = allocs[0]
		}
		return orig != nil
	})
	next := testNode("next", 4000, 4096)
	registerNode(t, s, next)
	var dr structs.GenericResponse
	if err := s.RPC("Node.UpdateDrain", &structs.NodeDrainRequest{NodeID: old.ID,
		Drain: &structs.DrainStrategy{Deadline: structs.Duration(time.Hour)}}, &dr); err != nil {
		t.Fatal(err)
	}
	var repl *structs.Allocation
	waitFor(t, "the replacement placed on next", func() bool {
		allocs, _ := s.State().AllocsByNode(nil, next.ID)
		if len(allocs) == 1 && allocs[0].PreviousAllocation == orig.ID {
			repl = allocs[0]
		}
		return repl != nil
	})

	fetch := func(nodeID, secret, forAlloc, allocID string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return s.StreamClientLogs(ctx, &transport.LogsRequest{Type: transport.LogTypeAllocData, AllocID: allocID,
			NodeID: nodeID, NodeSecret: secret, ForAlloc: forAlloc}, io.Discard)
	}
	wantDenied(t, "a wrong secret", fetch(next.ID, "guessed", repl.ID, orig.ID))
	if err := fetch("", "", repl.ID, orig.ID); err == nil || !strings.Contains(err.Error(), "node ID is required") {
		t.Fatalf("no node: %v", err)
	}
	wantDenied(t, "another node's allocation", fetch(old.ID, testSecret(old.ID), repl.ID, orig.ID))
	wantDenied(t, "an allocation that replaces nothing", fetch(old.ID, testSecret(old.ID), orig.ID, repl.ID))
	wantDenied(t, "the replacement asking for itself", fetch(next.ID, testSecret(next.ID), repl.ID, repl.ID))

	// The right node passes the check; the old node has no client here,
	// so the relay itself finds no session.
	err := fetch(next.ID, testSecret(next.ID), repl.ID, orig.ID)
	if err == nil || strings.HasPrefix(err.Error(), "Permission denied") || !strings.Contains(err.Error(), "not connected") {
		t.Fatalf("the replacement's node: %v, want the relay to find no session to old", err)
	}
}
