package scheduler

import (
	"fmt"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func propRackNodes(racks, perRack int) []*structs.Node {
	var nodes []*structs.Node
	for r := 0; r < racks; r++ {
		for i := 0; i < perRack; i++ {
			n := testNode(r*perRack + i)
			n.Meta = map[string]string{"rack": fmt.Sprintf("r%d", r+1)}
			nodes = append(nodes, n)
		}
	}
	return nodes
}

func TestDistinctProperty_OnePerRackThenBlocked(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(propRackNodes(3, 2)...)
	job := testJob("web", 4)
	job.Groups[0].Constraints = []*structs.Constraint{{Attribute: "${meta.rack}", Operator: structs.ConstraintDistinctProperty}}
	h.UpsertJob(job)
	got := process(t, h, testEval(job))

	racks := map[string]int{}
	for _, a := range planAllocs(h.Plans[0].NodeAllocation) {
		n, _ := h.NodeByID(a.NodeID)
		racks[n.Meta["rack"]]++
	}
	if len(racks) != 3 || racks["r1"] != 1 || racks["r2"] != 1 || racks["r3"] != 1 {
		t.Fatalf("placements per rack %v, want one in each of 3 racks", racks)
	}
	m := got.FailedTGAllocs["web"]
	if m == nil || m.ConstraintFiltered["distinct_property ${meta.rack}"] == 0 {
		t.Fatalf("the 4th allocation should be blocked by distinct_property, metrics %+v", m)
	}
}

func TestDistinctProperty_LimitAndExistingAllocations(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(propRackNodes(2, 3)...)
	job := testJob("api", 4)
	job.Constraints = []*structs.Constraint{{Attribute: "${meta.rack}", Operator: structs.ConstraintDistinctProperty, Value: "2"}}
	h.UpsertJob(job)
	process(t, h, testEval(job))
	placed := planAllocs(h.Plans[0].NodeAllocation)
	h.UpsertAllocs(placed...)

	racks := map[string]int{}
	for _, a := range placed {
		n, _ := h.NodeByID(a.NodeID)
		racks[n.Meta["rack"]]++
	}
	if racks["r1"] != 2 || racks["r2"] != 2 {
		t.Fatalf("placements per rack %v, want 2 and 2", racks)
	}
	// Scaling up must count what already runs: nothing more fits.
	job = job.Copy()
	job.Groups[0].Count = 5
	h.UpsertJob(job)
	got := process(t, h, testEval(job))
	if got.QueuedAllocations["web"] != 1 {
		t.Fatalf("queued %v, want the 5th allocation unplaced", got.QueuedAllocations)
	}
}

func TestDistinctProperty_Validation(t *testing.T) {
	for _, c := range []*structs.Constraint{
		{Operator: structs.ConstraintDistinctProperty},
		{Attribute: "${meta.rack}", Operator: structs.ConstraintDistinctProperty, Value: "zero"},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("constraint %+v validated", c)
		}
	}
}
