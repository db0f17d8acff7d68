package scheduler

import (
	"fmt"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func rackNodes(n, racks int) []*structs.Node {
	nodes := testNodes(n)
	for i, node := range nodes {
		node.Meta["rack"] = fmt.Sprintf("r%d", i%racks)
	}
	return nodes
}

func countBy(t *testing.T, h *Harness, job *structs.Job, key func(*structs.Node) string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, a := range liveAllocs(t, h, job) {
		n, _ := h.NodeByID(a.NodeID)
		out[key(n)]++
	}
	return out
}

func TestAffinity_PrefersMatchingNodes(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(rackNodes(20, 4)...)
	job := testJob("aff", 6)
	job.Groups[0].Affinities = []*structs.Affinity{{Attribute: "${meta.rack}", Operator: "=", Value: "r2", Weight: 100}}
	h.UpsertJob(job)
	process(t, h, testEval(job))
	got := countBy(t, h, job, func(n *structs.Node) string { return n.Meta["rack"] })
	if got["r2"] != 6 {
		t.Fatalf("per rack = %v, want all 6 on r2", got)
	}

	anti := testJob("anti", 6)
	anti.Groups[0].Affinities = []*structs.Affinity{{Attribute: "${meta.rack}", Operator: "=", Value: "r1", Weight: -100}}
	h.UpsertJob(anti)
	process(t, h, testEval(anti))
	if got := countBy(t, h, anti, func(n *structs.Node) string { return n.Meta["rack"] }); got["r1"] != 0 {
		t.Fatalf("per rack = %v, want none on r1", got)
	}
}

func TestSpread_EvenOverRacks(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(rackNodes(40, 4)...)
	job := testJob("even", 20)
	job.Groups[0].Tasks[0].Resources = &structs.Resources{CPU: 100, MemoryMB: 64}
	job.Groups[0].Spreads = []*structs.Spread{{Attribute: "${meta.rack}", Weight: 100}}
	h.UpsertJob(job)
	process(t, h, testEval(job))
	got := countBy(t, h, job, func(n *structs.Node) string { return n.Meta["rack"] })
	for r := 0; r < 4; r++ {
		if c := got[fmt.Sprintf("r%d", r)]; c != 5 {
			t.Fatalf("per rack = %v, want 5 each", got)
		}
	}
}

func TestSpread_TargetPercentages(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(rackNodes(40, 2)...)
	job := testJob("targets", 10)
	job.Groups[0].Tasks[0].Resources = &structs.Resources{CPU: 100, MemoryMB: 64}
	job.Groups[0].Spreads = []*structs.Spread{{Attribute: "${meta.rack}", Weight: 100,
		Targets: []*structs.SpreadTarget{{Value: "r0", Percent: 70}, {Value: "r1", Percent: 30}}}}
	h.UpsertJob(job)
	process(t, h, testEval(job))
	got := countBy(t, h, job, func(n *structs.Node) string { return n.Meta["rack"] })
	if got["r0"] != 7 || got["r1"] != 3 {
		t.Fatalf("per rack = %v, want r0=7 r1=3", got)
	}
}

func TestSpreadAffinity_Validation(t *testing.T) {
	bad := []interface{ Validate() error }{
		&structs.Spread{},
		&structs.Spread{Attribute: "${meta.rack}", Weight: 101},
		&structs.Spread{Attribute: "${meta.rack}", Targets: []*structs.SpreadTarget{{Value: "a", Percent: 80}, {Value: "b", Percent: 30}}},
		&structs.Affinity{Attribute: "${meta.rack}", Operator: "=", Value: "r1", Weight: 200},
		&structs.Affinity{Operator: "distinct_hosts"},
		&structs.Affinity{Attribute: "${meta.rack}", Operator: "~", Value: "r1"},
	}
	for i, b := range bad {
		if err := b.Validate(); err == nil {
			t.Errorf("case %d (%+v): no error", i, b)
		}
	}
}
