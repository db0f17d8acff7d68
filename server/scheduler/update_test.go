package scheduler

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// newVersion returns a copy of job at the next version, changed by edit.
func newVersion(job *structs.Job, edit func(*structs.Job)) *structs.Job {
	c := job.Copy()
	c.Version++
	edit(c)
	return c
}

func TestUpdate_InPlaceKeepsAllocations(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(3)...)
	job := testJob("web", 3)
	h.UpsertJob(job)
	before := placeAndRun(t, h, job)

	v1 := newVersion(job, func(j *structs.Job) { j.Meta = map[string]string{"owner": "ops"}; j.Priority = 60 })
	h.UpsertJob(v1)
	process(t, h, testEval(v1))
	after := liveAllocs(t, h, v1)
	if len(after) != 3 {
		t.Fatalf("%d live, want 3", len(after))
	}
	for i, a := range after {
		if a.ID != before[i].ID || a.JobVersion != 1 || a.ClientStatus != structs.AllocClientRunning {
			t.Fatalf("alloc %d = %+v, want the same allocation at version 1", i, a)
		}
	}
	plan := h.Plans[len(h.Plans)-1]
	if g := plan.Annotations.Groups["web"]; g == nil || g.InPlaceUpdate != 3 || g.Destructive != 0 {
		t.Fatalf("annotations = %+v", g)
	}
}

func TestUpdate_RollingDestructiveRespectsMaxParallel(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(4)...)
	job := testJob("web", 4)
	job.Update = &structs.UpdateStrategy{MaxParallel: 1}
	h.UpsertJob(job)
	placeAndRun(t, h, job)

	v1 := newVersion(job, func(j *structs.Job) {
		j.Groups[0].Tasks[0].Config = map[string]any{"command": "/bin/v2"}
	})
	h.UpsertJob(v1)
	for step := 1; step <= 4; step++ {
		process(t, h, testEval(v1))
		var current, pending int
		for _, a := range liveAllocs(t, h, v1) {
			if a.JobVersion == 1 {
				current++
				if a.ClientStatus == structs.AllocClientPending {
					pending++
				}
			}
		}
		if current != step || pending != 1 {
			t.Fatalf("step %d: %d at v1 (%d pending), want %d with 1 pending", step, current, pending, step)
		}
		// Nothing more happens until the replacement runs.
		process(t, h, testEval(v1))
		for _, a := range liveAllocs(t, h, v1) {
			if a.ClientStatus == structs.AllocClientPending {
				c := a.Copy()
				c.ClientStatus = structs.AllocClientRunning
				h.UpsertAllocs(c)
			}
		}
	}
	if n := len(liveAllocs(t, h, v1)); n != 4 {
		t.Fatalf("%d live at the end, want 4", n)
	}
}

func TestUpdate_RevertIsDestructiveBackToOldSpec(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(2)...)
	job := testJob("web", 2)
	h.UpsertJob(job)
	placeAndRun(t, h, job)
	v1 := newVersion(job, func(j *structs.Job) { j.Groups[0].Tasks[0].Env = map[string]string{"V": "1"} })
	h.UpsertJob(v1)
	placeAndRun(t, h, v1)
	// A revert registers version 0's spec as version 2.
	v2 := job.Copy()
	v2.Version = 2
	h.UpsertJob(v2)
	process(t, h, testEval(v2))
	for _, a := range liveAllocs(t, h, v2) {
		if a.JobVersion != 2 || a.PreviousAllocation == "" {
			t.Fatalf("after revert: %+v", a)
		}
	}
}

func TestUpdateStrategy_Validation(t *testing.T) {
	for _, u := range []*structs.UpdateStrategy{
		{MaxParallel: -1},
		{MinHealthyTime: structs.Duration(-1)},
		{MinHealthyTime: structs.Duration(10e9), HealthyDeadline: structs.Duration(5e9)},
	} {
		if err := u.Validate(); err == nil {
			t.Errorf("%+v: no error", u)
		}
	}
}
