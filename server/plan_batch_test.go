package server

import (
	"context"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// Plans taken together are each checked with the ones before them counted,
// and everything accepted is committed in one Raft entry.
func TestApplyPlans_Batch(t *testing.T) {
	s := testServer(t, nil)
	node := testNode("n1", 1000, 4096)
	registerNode(t, s, node)
	alloc := func(id string, cpu int) *structs.Allocation {
		return &structs.Allocation{
			ID: id, Namespace: structs.DefaultNamespace, JobID: "batched", TaskGroup: "web",
			Name: structs.AllocName("batched", "web", 0), NodeID: node.ID,
			Resources:     &structs.Resources{CPU: cpu, MemoryMB: 10},
			DesiredStatus: structs.AllocDesiredRun, ClientStatus: structs.AllocClientPending,
		}
	}
	pending := func(evalID string, a *structs.Allocation) *pendingPlan {
		return &pendingPlan{
			ctx:    context.Background(),
			plan:   &structs.Plan{EvalID: evalID, NodeAllocation: map[string][]*structs.Allocation{node.ID: {a}}},
			result: make(chan planOutcome, 1),
		}
	}

	// Each fits alone, not both: the second is refused and told to plan
	// again on a state that has the first.
	p1, p2 := pending("e1", alloc("a1", 600)), pending("e2", alloc("a2", 600))
	s.applyPlans([]*pendingPlan{p1, p2})
	o1, o2 := <-p1.result, <-p2.result
	if o1.err != nil || o2.err != nil {
		t.Fatalf("errors: %v, %v", o1.err, o2.err)
	}
	if len(o1.result.NodeAllocation[node.ID]) != 1 || o1.result.AllocIndex == 0 {
		t.Fatalf("first plan not committed: %+v", o1.result)
	}
	if len(o2.result.NodeAllocation[node.ID]) != 0 || o2.result.RefreshIndex != o1.result.AllocIndex {
		t.Fatalf("second plan: %+v; want refused with refresh index %d", o2.result, o1.result.AllocIndex)
	}
	if a, _ := s.State().AllocByID(nil, "a2"); a != nil {
		t.Fatal("the refused placement was written")
	}

	// Two that fit together go in one entry: one index for both.
	p3, p4 := pending("e3", alloc("a3", 150)), pending("e4", alloc("a4", 150))
	s.applyPlans([]*pendingPlan{p3, p4})
	o3, o4 := <-p3.result, <-p4.result
	if o3.err != nil || o4.err != nil || o3.result.AllocIndex == 0 || o3.result.AllocIndex != o4.result.AllocIndex {
		t.Fatalf("batched commit: %+v %v / %+v %v; want one shared index", o3.result, o3.err, o4.result, o4.err)
	}
	u, _ := s.State().NodeUsage(nil, node.ID)
	if u.Used.CPU != 900 || u.Live != 3 {
		t.Fatalf("node usage after the batches: %+v, want 900 MHz in 3 allocations", u)
	}
}
