package scheduler

import (
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// drainJobOnNode places count copies of a job with a migrate block on
// node 0 (the only eligible node then), makes node 1 eligible and drains
// node 0 with the given deadline from now.
func drainJobOnNode(t *testing.T, count, maxParallel int, deadlineIn time.Duration) (*Harness, *structs.Job, []*structs.Node) {
	t.Helper()
	h := NewHarness()
	nodes := testNodes(2)
	job := testJob("web", count)
	job.Groups[0].Migrate = &structs.MigrateStrategy{MaxParallel: &maxParallel}
	h.UpsertJob(job)
	for i := 0; i < count; i++ {
		h.UpsertAllocs(testAlloc(job, i, nodes[0]))
	}
	d := nodes[0].Copy()
	d.SchedulingEligibility = structs.NodeIneligible
	d.DrainStrategy = &structs.DrainStrategy{Deadline: structs.Duration(time.Hour), ForceDeadline: time.Now().Add(deadlineIn).UnixNano()}
	h.UpsertNode(d, nodes[1])
	return h, job, nodes
}

// moved returns the allocations of the last plan placed as drain
// replacements, after checking that as many were stopped on node 0.
func lastDrainMoves(t *testing.T, h *Harness, drained *structs.Node) []*structs.Allocation {
	t.Helper()
	plan := h.Plans[len(h.Plans)-1]
	placed := planAllocs(plan.NodeAllocation)
	if stops := plan.NodeUpdate[drained.ID]; len(stops) != len(placed) {
		t.Fatalf("%d stops on the draining node for %d replacements", len(stops), len(placed))
	}
	for _, a := range placed {
		if !a.DrainReplacement || a.PreviousAllocation == "" {
			t.Fatalf("replacement not marked as a drain's: %+v", a)
		}
	}
	return placed
}

func TestDrain_MigrateMaxParallelWaitsForHealthyReplacements(t *testing.T) {
	h, job, nodes := drainJobOnNode(t, 3, 2, time.Hour)
	process(t, h, testEval(job))
	first := lastDrainMoves(t, h, nodes[0])
	if len(first) != 2 {
		t.Fatalf("first pass moved %d, want max_parallel 2", len(first))
	}

	// Nothing more moves while the replacements are not healthy yet.
	plans := len(h.Plans)
	process(t, h, testEval(job))
	if len(h.Plans) != plans {
		t.Fatalf("moved more before the replacements were healthy: %+v", h.Plans[len(h.Plans)-1])
	}

	// One replacement healthy: one more moves.
	healthy := true
	c := h.AllocByID(first[0].ID).Copy()
	c.ClientStatus, c.Healthy = structs.AllocClientRunning, &healthy
	h.UpsertAllocs(c)
	process(t, h, testEval(job))
	if next := lastDrainMoves(t, h, nodes[0]); len(next) != 1 {
		t.Fatalf("after one healthy replacement moved %d, want 1", len(next))
	}
	if left := liveOn(t, h, job, nodes[0].ID); left != 0 {
		t.Fatalf("%d allocations left on the draining node", left)
	}
}

func TestDrain_MigrateDeadlineMovesAll(t *testing.T) {
	h, job, nodes := drainJobOnNode(t, 3, 1, -time.Second)
	process(t, h, testEval(job))
	if moved := lastDrainMoves(t, h, nodes[0]); len(moved) != 3 {
		t.Fatalf("past the drain deadline moved %d, want all 3", len(moved))
	}
}

func TestDrain_WithoutMigrateBlockMovesAll(t *testing.T) {
	h, job, nodes := drainJobOnNode(t, 3, 1, time.Hour)
	job.Groups[0].Migrate = nil
	h.UpsertJob(job)
	process(t, h, testEval(job))
	if moved := lastDrainMoves(t, h, nodes[0]); len(moved) != 3 {
		t.Fatalf("without a migrate block moved %d, want all 3", len(moved))
	}
}

func liveOn(t *testing.T, h *Harness, job *structs.Job, nodeID string) int {
	t.Helper()
	n := 0
	for _, a := range liveAllocs(t, h, job) {
		if a.NodeID == nodeID {
			n++
		}
	}
	return n
}

// A moved allocation whose replacement finds no room still counts as in
// flight: the drain does not stop the next one meanwhile.
func TestDrain_MigrateWaitsWhenNoRoom(t *testing.T) {
	h, job, nodes := drainJobOnNode(t, 2, 1, time.Hour)
	full := nodes[1].Copy()
	full.Resources = &structs.NodeResources{CPU: 100, Cores: 1, MemoryMB: 64} // too small for a copy
	h.UpsertNode(full)
	process(t, h, testEval(job))
	if stops := planAllocs(h.Plans[len(h.Plans)-1].NodeUpdate); len(stops) != 1 {
		t.Fatalf("first pass stopped %d, want 1", len(stops))
	}
	plans := len(h.Plans)
	process(t, h, testEval(job))
	for _, p := range h.Plans[plans:] {
		if len(p.NodeUpdate) != 0 {
			t.Fatalf("stopped another allocation while the first move found no room: %+v", planAllocs(p.NodeUpdate))
		}
	}
	if left := liveOn(t, h, job, nodes[0].ID); left != 1 {
		t.Fatalf("%d allocations left on the draining node, want 1", left)
	}
}
