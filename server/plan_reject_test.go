package server

import (
	"testing"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// A node whose placements the applier rejects keeps its allocations: the
// plan's stops and preemptions there were made room for a placement that
// is not happening. Stops on nodes without rejected placements stay.
func TestEvaluatePlan_RejectedNodeKeepsItsVictims(t *testing.T) {
	st, err := state.NewStateStore(hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"n1", "n2"} {
		must(st.UpsertNode(1, &structs.Node{ID: id, Name: id, Status: structs.NodeStatusReady, SchedulingEligibility: structs.NodeEligible,
			Resources: &structs.NodeResources{CPU: 1000, MemoryMB: 1000}}))
	}
	running := func(id, node string, cpu int) *structs.Allocation {
		return &structs.Allocation{ID: id, JobID: "low", TaskGroup: "g", NodeID: node, Resources: &structs.Resources{CPU: cpu, MemoryMB: 10},
			DesiredStatus: structs.AllocDesiredRun, ClientStatus: structs.AllocClientRunning}
	}
	must(st.UpsertAllocs(2, []*structs.Allocation{running("victim", "n1", 500), running("old", "n2", 100)}))
	// Someone else filled n1 after the scheduler's snapshot: the
	// placement no longer fits even with the victim gone.
	must(st.UpsertAllocs(3, []*structs.Allocation{running("late", "n1", 500)}))

	plan := &structs.Plan{
		NodeUpdate: map[string][]*structs.Allocation{
			"n1": {{ID: "victim", NodeID: "n1", DesiredStatus: structs.AllocDesiredStop, PreemptedByAllocation: "new"}},
			"n2": {{ID: "old", NodeID: "n2", DesiredStatus: structs.AllocDesiredStop}},
		},
		NodeAllocation: map[string][]*structs.Allocation{
			"n1": {{ID: "new", JobID: "high", TaskGroup: "g", NodeID: "n1", Resources: &structs.Resources{CPU: 900, MemoryMB: 10},
				DesiredStatus: structs.AllocDesiredRun, ClientStatus: structs.AllocClientPending, PreemptedAllocations: []string{"victim"}}},
		},
	}
	snap, err := st.Snapshot()
	must(err)
	res, err := evaluatePlan(snap, plan, nil)
	must(err)
	if len(res.NodeAllocation["n1"]) != 0 || res.RefreshIndex == 0 {
		t.Fatalf("placement on n1 should be rejected: %+v", res)
	}
	if got := res.NodeUpdate["n1"]; len(got) != 0 {
		t.Fatalf("the victim on n1 is still evicted for a placement that was rejected: %+v", got[0])
	}
	if got := res.NodeUpdate["n2"]; len(got) != 1 || got[0].ID != "old" {
		t.Fatalf("the stop on n2 (no placement there) must stay, got %+v", got)
	}
	if len(plan.NodeUpdate["n1"]) != 1 {
		t.Fatal("evaluatePlan must not edit the plan itself")
	}
}
