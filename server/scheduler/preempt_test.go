package scheduler

import (
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func TestPreemption_HigherPriorityEvictsLower(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNode(0))
	low := testJob("low", 8) // 8 × 500 MHz fills the 4000 MHz node
	low.Priority = 20
	h.UpsertJob(low)
	placeAndRun(t, h, low)

	high := testJob("high", 2)
	high.Priority = 80
	h.UpsertJob(high)
	got := process(t, h, testEval(high))
	if len(got.FailedTGAllocs) != 0 {
		t.Fatalf("failed: %+v", got.FailedTGAllocs["web"])
	}
	placed := liveAllocs(t, h, high)
	if len(placed) != 2 {
		t.Fatalf("high placed %d, want 2", len(placed))
	}
	evicted := map[string]string{}
	for _, a := range placed {
		if len(a.PreemptedAllocations) != 1 {
			t.Fatalf("%s preempted %v, want one", a.Name, a.PreemptedAllocations)
		}
		evicted[a.PreemptedAllocations[0]] = a.ID
	}
	for victim, by := range evicted {
		v := h.AllocByID(victim)
		if v.DesiredStatus != structs.AllocDesiredStop || v.PreemptedByAllocation != by ||
			!strings.Contains(v.DesiredDescription, "preempted") {
			t.Fatalf("victim = %+v", v)
		}
	}
	if len(liveAllocs(t, h, low)) != 6 {
		t.Fatalf("low has %d live, want 6", len(liveAllocs(t, h, low)))
	}
	var follow *structs.Evaluation
	for _, e := range h.CreateEvals {
		if e.JobID == "low" && e.TriggeredBy == structs.EvalTriggerPreemption {
			follow = e
		}
	}
	if follow == nil {
		t.Fatalf("no evaluation for the preempted job: %+v", h.CreateEvals)
	}
}

func TestPreemption_NotWithinPriorityDelta(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNode(0))
	low := testJob("low", 8)
	low.Priority = 50
	h.UpsertJob(low)
	placeAndRun(t, h, low)
	near := testJob("near", 1)
	near.Priority = 55
	h.UpsertJob(near)
	got := process(t, h, testEval(near))
	if got.FailedTGAllocs["web"] == nil || len(liveAllocs(t, h, low)) != 8 {
		t.Fatalf("priority 55 preempted priority 50: failed=%v", got.FailedTGAllocs)
	}
}

func TestBlocked_UnblocksWhenCapacityAppears(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNode(0))
	job := testJob("big", 10) // 10 × 500 MHz, the node holds 8
	h.UpsertJob(job)
	got := process(t, h, testEval(job))
	if got.FailedTGAllocs["web"] == nil || len(h.CreateEvals) != 1 {
		t.Fatalf("want a failure and a blocked eval, got %+v / %+v", got.FailedTGAllocs, h.CreateEvals)
	}
	blocked := h.CreateEvals[0]
	if blocked.Status != structs.EvalStatusBlocked || blocked.QueuedAllocations["web"] != 2 {
		t.Fatalf("blocked = %+v", blocked)
	}
	h.UpsertNode(testNode(1))
	unblocked := blocked.Copy()
	unblocked.Status = structs.EvalStatusPending
	got = process(t, h, unblocked)
	if len(got.FailedTGAllocs) != 0 || len(liveAllocs(t, h, job)) != 10 {
		t.Fatalf("after capacity: failed=%v live=%d", got.FailedTGAllocs, len(liveAllocs(t, h, job)))
	}
}
