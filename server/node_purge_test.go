package server

import (
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// Purging a node removes it from the state; its allocations are marked
// lost and placed on another node.
func TestNodePurge_RemovesNodeAndReschedulesItsWork(t *testing.T) {
	s := testServer(t, nil)
	a, b := testNode("a", 4000, 4096), testNode("b", 4000, 4096)
	registerNode(t, s, a)
	registerJob(t, s, testJob("web", 1, 64))
	waitFor(t, "placed on a", func() bool { return len(jobAllocs(t, s, "web")) == 1 })
	registerNode(t, s, b)
	first := jobAllocs(t, s, "web")[0]

	var reply structs.NodePurgeResponse
	if err := s.RPC(structs.NodePurgeRPC, &structs.NodePurgeRequest{NodeID: a.ID}, &reply); err != nil {
		t.Fatalf("purge: %v", err)
	}
	if len(reply.EvalIDs) != 1 {
		t.Fatalf("purge answered evaluations %v, want one for job web", reply.EvalIDs)
	}
	if n, _ := s.State().NodeByID(nil, a.ID); n != nil {
		t.Fatal("the purged node is still in the state")
	}
	waitFor(t, "the lost allocation replaced on b", func() bool {
		lost, moved := false, false
		for _, al := range jobAllocs(t, s, "web") {
			lost = lost || al.ID == first.ID && al.ClientStatus == structs.AllocClientLost
			moved = moved || al.NodeID == b.ID && al.DesiredStatus == structs.AllocDesiredRun
		}
		return lost && moved
	})

	// Once the lost allocation is collected, nothing is kept for node a.
	waitFor(t, "evaluations finished", func() bool {
		evals, _ := s.State().Evals(nil)
		for _, e := range evals {
			if !e.TerminalStatus() {
				return false
			}
		}
		return true
	})
	forceGC(t, s)
	if a, _ := s.State().AllocByID(nil, first.ID); a != nil {
		t.Fatalf("the lost allocation of the purged node was not collected: %+v", a)
	}
	if _, _, index, _ := s.State().NodeAllocChanges(nil, a.ID, 0); index != 0 {
		t.Fatalf("the purged node still has an allocation change row (index %d)", index)
	}
}

func TestNodePurge_UnknownNode(t *testing.T) {
	s := testServer(t, nil)
	var reply structs.NodePurgeResponse
	err := s.RPC(structs.NodePurgeRPC, &structs.NodePurgeRequest{NodeID: structs.GenerateID()}, &reply)
	if err == nil || !structs.IsNotFound(err) {
		t.Fatalf("purge of an unknown node: err = %v, want not found", err)
	}
	err = s.RPC(structs.NodePurgeRPC, &structs.NodePurgeRequest{}, &reply)
	if err == nil || !strings.Contains(err.Error(), "node ID is required") {
		t.Fatalf("purge without a node: err = %v", err)
	}
}
