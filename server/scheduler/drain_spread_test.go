package scheduler

import (
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

func TestService_AntiAffinitySpreadsCopiesOverNodes(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(2)...)
	job := testJob("web", 4)
	h.UpsertJob(job)
	process(t, h, testEval(job))

	perNode := map[string]int{}
	for _, a := range planAllocs(h.Plans[0].NodeAllocation) {
		perNode[a.NodeID]++
	}
	if len(perNode) != 2 || perNode["node-0000"] != 2 || perNode["node-0001"] != 2 {
		t.Fatalf("4 copies on 2 equal nodes placed as %v, want 2 and 2", perNode)
	}
}

func TestService_DrainMovesServiceWorkAtOnce(t *testing.T) {
	h := NewHarness()
	nodes := testNodes(2)
	h.UpsertNode(nodes...)
	job := testJob("web", 1)
	h.UpsertJob(job)
	process(t, h, testEval(job))
	placed := planAllocs(h.Plans[0].NodeAllocation)[0]
	h.UpsertAllocs(placed)

	draining := nodes[0]
	if placed.NodeID != draining.ID {
		draining = nodes[1]
	}
	d := draining.Copy()
	d.SchedulingEligibility = structs.NodeIneligible
	d.DrainStrategy = &structs.DrainStrategy{Deadline: structs.Duration(time.Hour), ForceDeadline: time.Now().Add(time.Hour).UnixNano()}
	h.UpsertNode(d)
	process(t, h, testEval(job))

	plan := h.Plans[len(h.Plans)-1]
	stops := plan.NodeUpdate[draining.ID]
	if len(stops) != 1 || stops[0].ID != placed.ID || stops[0].ClientStatus == structs.AllocClientLost {
		t.Fatalf("drain stops = %+v, want the allocation stopped (not lost)", stops)
	}
	moved := planAllocs(plan.NodeAllocation)
	if len(moved) != 1 || moved[0].NodeID == draining.ID || moved[0].PreviousAllocation != placed.ID {
		t.Fatalf("replacement = %+v, want one on the other node replacing %s", moved, placed.ID)
	}
}

func TestBatch_DrainWaitsForDeadline(t *testing.T) {
	h := NewHarness()
	nodes := testNodes(2)
	h.UpsertNode(nodes...)
	job := testJob("report", 1)
	job.Type = structs.JobTypeBatch
	h.UpsertJob(job)
	process(t, h, testEval(job))
	placed := planAllocs(h.Plans[0].NodeAllocation)[0]
	placed.ClientStatus = structs.AllocClientRunning
	h.UpsertAllocs(placed)

	node, _ := h.NodeByID(placed.NodeID)
	d := node.Copy()
	d.SchedulingEligibility = structs.NodeIneligible
	d.DrainStrategy = &structs.DrainStrategy{ForceDeadline: time.Now().Add(time.Hour).UnixNano()}
	h.UpsertNode(d)
	before := len(h.Plans)
	process(t, h, testEval(job))
	for _, p := range h.Plans[before:] {
		if len(p.NodeUpdate) != 0 {
			t.Fatalf("batch work stopped before the drain deadline: %+v", p.NodeUpdate)
		}
	}

	d = d.Copy()
	d.DrainStrategy.ForceDeadline = time.Now().Add(-time.Second).UnixNano()
	h.UpsertNode(d)
	process(t, h, testEval(job))
	last := h.Plans[len(h.Plans)-1]
	if stops := last.NodeUpdate[d.ID]; len(stops) != 1 || stops[0].ID != placed.ID {
		t.Fatalf("after the deadline stops = %+v, want the batch allocation stopped", last.NodeUpdate)
	}
}
