package server

import (
	"testing"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// TestEvaluatePlan_Fit checks the plan applier's fit check on both of its
// paths (the node's usage summary, and the allocations one by one when
// ports are in play) against the same cases.
func TestEvaluatePlan_Fit(t *testing.T) {
	alloc := func(id, node string, cpu int, port int) *structs.Allocation {
		a := &structs.Allocation{
			ID: id, JobID: "web", TaskGroup: "web", Name: structs.AllocName("web", "web", 0), NodeID: node,
			Resources:     &structs.Resources{CPU: cpu, MemoryMB: 10},
			DesiredStatus: structs.AllocDesiredRun, ClientStatus: structs.AllocClientRunning,
		}
		if port > 0 {
			a.AllocatedPorts = []structs.AllocatedPort{{Label: "http", Value: port}}
		}
		return a
	}
	for _, ports := range []bool{false, true} {
		port := func(p int) int {
			if ports {
				return p
			}
			return 0
		}
		st, err := state.NewStateStore(hclog.NewNullLogger())
		if err != nil {
			t.Fatal(err)
		}
		node := &structs.Node{ID: "n1", Name: "n1", Status: structs.NodeStatusReady, SchedulingEligibility: structs.NodeEligible,
			Resources: &structs.NodeResources{CPU: 1000, MemoryMB: 1000}}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(st.UpsertNode(1, node))
		// 600 MHz in use, plus a finished allocation that must not count.
		done := alloc("done", "n1", 900, port(9))
		done.ClientStatus = structs.AllocClientComplete
		must(st.UpsertAllocs(2, []*structs.Allocation{alloc("a1", "n1", 400, port(1)), alloc("a2", "n1", 200, port(2)), done}))

		fits := func(name string, plan *structs.Plan, want bool) {
			t.Helper()
			snap, err := st.Snapshot()
			must(err)
			res, err := evaluatePlan(snap, plan, nil)
			must(err)
			got := len(res.NodeAllocation["n1"]) > 0
			if got != want || (res.RefreshIndex != 0) == want {
				t.Fatalf("ports=%v, %s: fits=%v refresh=%d, want fits=%v", ports, name, got, res.RefreshIndex, want)
			}
		}
		place := func(as ...*structs.Allocation) map[string][]*structs.Allocation {
			return map[string][]*structs.Allocation{"n1": as}
		}
		fits("400 more", &structs.Plan{NodeAllocation: place(alloc("b1", "n1", 400, port(3)))}, true)
		fits("401 more", &structs.Plan{NodeAllocation: place(alloc("b1", "n1", 401, port(3)))}, false)
		fits("401 more with a1 stopped", &structs.Plan{
			NodeUpdate:     map[string][]*structs.Allocation{"n1": {{ID: "a1", DesiredStatus: structs.AllocDesiredStop}}},
			NodeAllocation: place(alloc("b1", "n1", 401, port(3))),
		}, true)
		fits("a2 grown in place to 600", &structs.Plan{NodeAllocation: place(alloc("a2", "n1", 600, port(2)))}, true)
		fits("a2 grown in place to 601", &structs.Plan{NodeAllocation: place(alloc("a2", "n1", 601, port(2)))}, false)
		if ports {
			fits("a port a1 holds", &structs.Plan{NodeAllocation: place(alloc("b1", "n1", 10, 1))}, false)
			fits("the port of a finished allocation", &structs.Plan{NodeAllocation: place(alloc("b1", "n1", 10, 9))}, true)
		}
		// A client report that a1 finished frees its share in the summary.
		must(st.UpdateAllocsFromClient(3, []*structs.AllocStatusUpdate{{ID: "a1", ClientStatus: structs.AllocClientComplete}}))
		fits("800 more after a1 finished", &structs.Plan{NodeAllocation: place(alloc("b1", "n1", 800, port(3)))}, true)
		fits("801 more after a1 finished", &structs.Plan{NodeAllocation: place(alloc("b1", "n1", 801, port(3)))}, false)
	}
}
