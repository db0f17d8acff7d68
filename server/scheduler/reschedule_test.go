package scheduler

import (
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// failedAt returns a copy of a that failed at t.
func failedAt(a *structs.Allocation, t time.Time) *structs.Allocation {
	c := a.Copy()
	c.ClientStatus = structs.AllocClientFailed
	c.TaskStates = map[string]*structs.TaskState{"server": {State: structs.TaskStateDead, Failed: true, FinishedAt: t.UnixNano()}}
	return c
}

func reschedulePolicy(attempts int, delay time.Duration, fn string) *structs.ReschedulePolicy {
	return &structs.ReschedulePolicy{Attempts: &attempts, Interval: structs.Duration(time.Hour),
		Delay: structs.Duration(delay), DelayFunction: fn, MaxDelay: structs.Duration(time.Hour)}
}

func placedIn(h *Harness) []*structs.Allocation {
	var out []*structs.Allocation
	for _, p := range h.Plans {
		out = append(out, planAllocs(p.NodeAllocation)...)
	}
	return out
}

// A failed allocation whose delay has passed is replaced at once, on
// another node, with its reschedule history.
func TestReschedule_NowAfterDelay(t *testing.T) {
	h := NewHarness()
	nodes := testNodes(3)
	h.UpsertNode(nodes...)
	job := testJob("web", 1)
	job.Reschedule = reschedulePolicy(3, 10*time.Second, structs.DelayFunctionConstant)
	h.UpsertJob(job)
	failed := failedAt(testAlloc(job, 0, nodes[0]), time.Now().Add(-time.Minute))
	h.UpsertAllocs(failed)

	process(t, h, testEval(job))
	placed := placedIn(h)
	if len(placed) != 1 {
		t.Fatalf("placed %d allocations, want 1 replacement", len(placed))
	}
	r := placed[0]
	if r.PreviousAllocation != failed.ID || r.Name != failed.Name || r.NodeID == nodes[0].ID {
		t.Fatalf("replacement = prev %q name %q node %q; want prev %q on another node than %q",
			r.PreviousAllocation, r.Name, r.NodeID, failed.ID, nodes[0].ID)
	}
	if r.RescheduleTracker == nil || len(r.RescheduleTracker.Events) != 1 ||
		r.RescheduleTracker.Events[0].PrevAllocID != failed.ID || r.RescheduleTracker.Events[0].Delay.Std() != 10*time.Second {
		t.Fatalf("tracker = %+v", r.RescheduleTracker)
	}
	if len(h.CreateEvals) != 0 {
		t.Fatalf("created %d evaluations, want none", len(h.CreateEvals))
	}
}

// A failed allocation whose delay has not passed waits: nothing is placed
// and one delayed evaluation wakes the job at the reschedule time; a second
// evaluation does not add another one.
func TestReschedule_LaterCreatesOneDelayedEval(t *testing.T) {
	h := NewHarness()
	nodes := testNodes(2)
	h.UpsertNode(nodes...)
	job := testJob("web", 1)
	job.Reschedule = reschedulePolicy(3, time.Minute, structs.DelayFunctionConstant)
	h.UpsertJob(job)
	failTime := time.Now()
	h.UpsertAllocs(failedAt(testAlloc(job, 0, nodes[0]), failTime))

	got := process(t, h, testEval(job))
	if n := len(placedIn(h)); n != 0 {
		t.Fatalf("placed %d allocations before the delay passed", n)
	}
	if len(h.CreateEvals) != 1 {
		t.Fatalf("created %d evaluations, want 1 delayed", len(h.CreateEvals))
	}
	d := h.CreateEvals[0]
	if d.WaitUntil != failTime.Add(time.Minute).UnixNano() || d.TriggeredBy != structs.EvalTriggerReschedule ||
		d.Status != structs.EvalStatusPending || got.NextEval != d.ID {
		t.Fatalf("delayed eval = %+v (next_eval %q)", d, got.NextEval)
	}
	process(t, h, testEval(job))
	if len(h.CreateEvals) != 1 {
		t.Fatalf("a second evaluation created another delayed one: %d", len(h.CreateEvals))
	}
}

// Once the attempts within the interval are used up, the allocation stays
// failed and nothing waits for it.
func TestReschedule_AttemptsExhausted(t *testing.T) {
	h := NewHarness()
	nodes := testNodes(2)
	h.UpsertNode(nodes...)
	job := testJob("web", 1)
	job.Reschedule = reschedulePolicy(2, time.Second, structs.DelayFunctionConstant)
	h.UpsertJob(job)
	a := failedAt(testAlloc(job, 0, nodes[0]), time.Now().Add(-time.Minute))
	recent := time.Now().Add(-10 * time.Minute).UnixNano()
	a.RescheduleTracker = &structs.RescheduleTracker{Events: []*structs.RescheduleEvent{
		{RescheduleTime: recent, PrevAllocID: "a0"}, {RescheduleTime: recent, PrevAllocID: "a1"}}}
	h.UpsertAllocs(a)

	process(t, h, testEval(job))
	if n := len(placedIn(h)); n != 0 || len(h.CreateEvals) != 0 {
		t.Fatalf("placed %d and created %d evaluations after the attempts ran out", n, len(h.CreateEvals))
	}

	// Attempts older than the interval no longer count.
	old := time.Now().Add(-2 * time.Hour).UnixNano()
	a = a.Copy()
	for _, e := range a.RescheduleTracker.Events {
		e.RescheduleTime = old
	}
	h.UpsertAllocs(a)
	process(t, h, testEval(job))
	if n := len(placedIn(h)); n != 1 {
		t.Fatalf("placed %d once the attempts left the interval, want 1", n)
	}
}

// The policy off (attempts = 0) never reschedules; system jobs neither.
func TestReschedule_Disabled(t *testing.T) {
	h := NewHarness()
	nodes := testNodes(2)
	h.UpsertNode(nodes...)
	job := testJob("web", 1)
	job.Reschedule = reschedulePolicy(0, time.Second, "")
	h.UpsertJob(job)
	h.UpsertAllocs(failedAt(testAlloc(job, 0, nodes[0]), time.Now().Add(-time.Hour)))
	process(t, h, testEval(job))
	if n := len(placedIn(h)); n != 0 || len(h.CreateEvals) != 0 {
		t.Fatalf("placed %d, created %d evaluations with rescheduling off", n, len(h.CreateEvals))
	}
}

func TestReschedule_DelayFunctions(t *testing.T) {
	tracker := func(n int) *structs.RescheduleTracker {
		t := &structs.RescheduleTracker{}
		for range n {
			t.Events = append(t.Events, &structs.RescheduleEvent{})
		}
		return t
	}
	for _, tc := range []struct {
		fn   string
		want []time.Duration // delay before reschedule 1, 2, ...
	}{
		{structs.DelayFunctionConstant, []time.Duration{5, 5, 5, 5}},
		{structs.DelayFunctionExponential, []time.Duration{5, 10, 20, 40, 60, 60}},
		{structs.DelayFunctionFibonacci, []time.Duration{5, 5, 10, 15, 25, 40, 60, 60}},
	} {
		p := &structs.ReschedulePolicy{Delay: structs.Duration(5 * time.Second), DelayFunction: tc.fn,
			MaxDelay: structs.Duration(time.Minute)}
		for i, w := range tc.want {
			if got := p.NextDelay(tracker(i)); got != w*time.Second {
				t.Errorf("%s: delay after %d reschedules = %s, want %s", tc.fn, i, got, w*time.Second)
			}
		}
	}
}

// The default service policy backs off exponentially from 30s: the second
// reschedule waits 60s after the failure.
func TestReschedule_DefaultServiceBackoff(t *testing.T) {
	h := NewHarness()
	nodes := testNodes(2)
	h.UpsertNode(nodes...)
	job := testJob("web", 1)
	h.UpsertJob(job)
	a := failedAt(testAlloc(job, 0, nodes[0]), time.Now().Add(-45*time.Second))
	a.RescheduleTracker = &structs.RescheduleTracker{Events: []*structs.RescheduleEvent{{RescheduleTime: 1}}}
	h.UpsertAllocs(a)
	process(t, h, testEval(job))
	if n := len(placedIn(h)); n != 0 || len(h.CreateEvals) != 1 {
		t.Fatalf("45s after the failure, second attempt: placed %d, created %d evaluations; want 0 and 1", n, len(h.CreateEvals))
	}
	if want := a.FailedAt() + int64(time.Minute); h.CreateEvals[0].WaitUntil != want {
		t.Fatalf("wait until %d, want %d", h.CreateEvals[0].WaitUntil, want)
	}
}

// The replacement avoids the failed allocation's node whenever another one
// fits, across many evaluations (each shuffles the nodes differently).
func TestReschedule_PrefersAnotherNode(t *testing.T) {
	for i := 0; i < 40; i++ {
		h := NewHarness()
		nodes := testNodes(3)
		h.UpsertNode(nodes...)
		job := testJob("web", 1)
		h.UpsertJob(job)
		failed := failedAt(testAlloc(job, 0, nodes[i%3]), time.Now().Add(-time.Hour))
		h.UpsertAllocs(failed)
		process(t, h, testEval(job))
		placed := placedIn(h)
		if len(placed) != 1 {
			t.Fatalf("run %d: placed %d", i, len(placed))
		}
		if placed[0].NodeID == failed.NodeID {
			t.Fatalf("run %d: the replacement went back to the failed allocation's node", i)
		}
	}
}
