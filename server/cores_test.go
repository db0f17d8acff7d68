package server

import (
	"testing"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// Reserved cores are a dimension of their own: a 2-core node with CPU
// MHz to spare still takes only one task that reserves both cores.
func TestScheduler_CountsReservedCores(t *testing.T) {
	s := testServer(t, nil)
	registerNode(t, s, testNode("two-cores", 8000, 8192)) // Cores: 2
	job := testJob("pinned", 4, 64)
	job.Groups[0].Tasks[0].Resources.Cores = 2
	registerJob(t, s, job)
	waitFor(t, "one placement and a blocked evaluation for the rest", func() bool {
		evals, err := s.State().EvalsByJob(nil, "", "pinned")
		if err != nil {
			return false
		}
		for _, e := range evals {
			if e.Status == structs.EvalStatusBlocked {
				return liveAllocs(jobAllocs(t, s, "pinned")) >= 1
			}
		}
		return false
	})
	if n := liveAllocs(jobAllocs(t, s, "pinned")); n != 1 {
		t.Fatalf("%d allocations reserving 2 cores each were placed on a 2-core node: %s", n, describe(jobAllocs(t, s, "pinned")))
	}
}

// The plan applier checks cores too, whatever the scheduler proposed.
func TestEvaluatePlan_RejectsCoresBeyondTheNode(t *testing.T) {
	st, err := state.NewStateStore(hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	node := &structs.Node{ID: "n1", Name: "n1", Status: structs.NodeStatusReady, SchedulingEligibility: structs.NodeEligible,
		Resources: &structs.NodeResources{CPU: 8000, Cores: 2, MemoryMB: 8192}}
	if err := st.UpsertNode(1, node); err != nil {
		t.Fatal(err)
	}
	pinned := func(id string) *structs.Allocation {
		return &structs.Allocation{ID: id, JobID: "p", TaskGroup: "g", NodeID: "n1", Resources: &structs.Resources{CPU: 100, MemoryMB: 10, Cores: 2},
			DesiredStatus: structs.AllocDesiredRun, ClientStatus: structs.AllocClientPending}
	}
	snap, err := st.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	res, err := evaluatePlan(snap, &structs.Plan{NodeAllocation: map[string][]*structs.Allocation{"n1": {pinned("a"), pinned("b")}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.NodeAllocation["n1"]) != 0 {
		t.Fatal("two allocations of 2 cores each accepted on a 2-core node")
	}
}
