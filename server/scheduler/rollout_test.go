package scheduler

import (
	"strings"
	"testing"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

func setHealth(t *testing.T, h *Harness, a *structs.Allocation, healthy bool) {
	t.Helper()
	c := h.AllocByID(a.ID).Copy()
	c.ClientStatus = structs.AllocClientRunning
	c.Healthy = &healthy
	h.UpsertAllocs(c)
}

func allocsAt(t *testing.T, h *Harness, job *structs.Job, version uint64) []*structs.Allocation {
	var out []*structs.Allocation
	for _, a := range liveAllocs(t, h, job) {
		if a.JobVersion == version {
			out = append(out, a)
		}
	}
	return out
}

// rollingJob: 3 allocations, one replaced at a time.
func rollingJob(autoRevert bool) *structs.Job {
	job := testJob("web", 3)
	job.Update = &structs.UpdateStrategy{MaxParallel: 1, AutoRevert: autoRevert}
	return job
}

func v2Of(job *structs.Job) *structs.Job {
	return newVersion(job, func(j *structs.Job) { j.Groups[0].Tasks[0].Config = map[string]any{"command": "/bin/v2"} })
}

// An unhealthy replacement halts the rolling update: no further old
// allocation is replaced, even though the budget would allow one.
func TestRollout_UnhealthyReplacementHaltsUpdate(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(3)...)
	job := rollingJob(false)
	h.UpsertJob(job)
	placeAndRun(t, h, job)
	v1 := v2Of(job)
	h.UpsertJob(v1)
	process(t, h, testEval(v1))
	first := allocsAt(t, h, v1, 1)
	if len(first) != 1 {
		t.Fatalf("%d replacements placed, want 1", len(first))
	}
	setHealth(t, h, first[0], false)

	process(t, h, testEval(v1))
	if n := len(allocsAt(t, h, v1, 1)); n != 1 {
		t.Fatalf("%d allocations at v1 after the replacement turned unhealthy, want the update halted at 1", n)
	}
	d, err := DecideRollout(h, v1.Namespace, v1.ID, state.SpecEqual)
	if err != nil {
		t.Fatal(err)
	}
	if d.Failure == "" || !strings.Contains(d.Failure, "update to version 1 failed: allocation web.web[") ||
		strings.Contains(d.Failure, "revert") || d.RevertTo != nil || d.Stable {
		t.Fatalf("decision = %+v", d)
	}
	// Recorded as failed, the update stays halted even once health recovers.
	marked := v1.Copy()
	marked.UpdateFailure = d.Failure
	h.UpsertJob(marked)
	setHealth(t, h, first[0], true)
	process(t, h, testEval(marked))
	if n := len(allocsAt(t, h, v1, 1)); n != 1 {
		t.Fatalf("%d allocations at v1 after the failure was recorded, want 1", n)
	}
}

// A version whose allocations are all healthy, with no older version left,
// becomes stable; with one unhealthy it does not.
func TestRollout_StableWhenAllHealthy(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(3)...)
	job := rollingJob(false)
	h.UpsertJob(job)
	allocs := placeAndRun(t, h, job)
	for _, a := range allocs[:2] {
		setHealth(t, h, a, true)
	}
	if d, _ := DecideRollout(h, job.Namespace, job.ID, state.SpecEqual); d.Stable {
		t.Fatal("stable with one allocation of three not healthy yet")
	}
	setHealth(t, h, allocs[2], true)
	if d, _ := DecideRollout(h, job.Namespace, job.ID, state.SpecEqual); !d.Stable || d.Failure != "" {
		t.Fatalf("decision = %+v, want stable", d)
	}
}

// auto_revert goes back to the latest stable version, not merely the
// previous one.
func TestRollout_AutoRevertPicksLatestStable(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(3)...)
	v0 := rollingJob(true)
	v0.Stable = true
	h.UpsertJob(v0)
	v1 := newVersion(v0, func(j *structs.Job) { j.Meta = map[string]string{"v": "1"} })
	v1.Stable = true
	h.UpsertJob(v1)
	v2 := newVersion(v1, func(j *structs.Job) { j.Meta = map[string]string{"v": "2"} })
	v2.Stable = false // never became healthy
	h.UpsertJob(v2)
	v3 := newVersion(v2, func(j *structs.Job) { j.Groups[0].Tasks[0].Config = map[string]any{"command": "/bin/bad"} })
	v3.Stable = false
	h.UpsertJob(v3)
	placeAndRun(t, h, v3)
	setHealth(t, h, allocsAt(t, h, v3, 3)[0], false)

	d, err := DecideRollout(h, v3.Namespace, v3.ID, state.SpecEqual)
	if err != nil {
		t.Fatal(err)
	}
	if d.RevertTo == nil || d.RevertTo.Version != 1 || !strings.Contains(d.Failure, "reverting to stable version 1") {
		t.Fatalf("decision = %+v (revert to %v), want a revert to version 1", d, d.RevertTo)
	}
}

// The revert itself failing must not revert again to the same spec: the
// update is only marked failed.
func TestRollout_NoRevertLoop(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(3)...)
	v0 := rollingJob(true)
	v0.Stable = true
	h.UpsertJob(v0)
	v1 := v2Of(v0)
	v1.Stable = false // failed, reverted
	h.UpsertJob(v1)
	// v2 is the revert: v0's spec registered again.
	v2 := v0.Copy()
	v2.Version, v2.Stable = 2, false
	h.UpsertJob(v2)
	placeAndRun(t, h, v2)
	setHealth(t, h, allocsAt(t, h, v2, 2)[0], false)

	d, err := DecideRollout(h, v2.Namespace, v2.ID, state.SpecEqual)
	if err != nil {
		t.Fatal(err)
	}
	if d.RevertTo != nil || d.Failure == "" || !strings.Contains(d.Failure, "not reverted: the latest stable version 0 has the same specification") {
		t.Fatalf("decision = %+v, want failed without revert", d)
	}
	// Once recorded, nothing more is decided.
	marked := v2.Copy()
	marked.UpdateFailure = d.Failure
	h.UpsertJob(marked)
	if d, _ := DecideRollout(h, v2.Namespace, v2.ID, state.SpecEqual); d.Changed() {
		t.Fatalf("decided again after the failure was recorded: %+v", d)
	}
}
