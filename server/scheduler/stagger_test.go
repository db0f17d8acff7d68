package scheduler

import (
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// With update.stagger, the next batch of a rolling update waits that long
// after the previous batch was placed, even when its replacements are
// already running; a delayed evaluation comes back at the end of the wait.
func TestStagger_PacesRollingBatches(t *testing.T) {
	for _, tc := range []struct {
		name       string
		stagger    time.Duration
		wantSecond int
	}{
		{"stagger", time.Hour, 0},
		{"no stagger", 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHarness()
			h.UpsertNode(testNodes(3)...)
			job := testJob("web", 3)
			job.Update = &structs.UpdateStrategy{MaxParallel: 1, Stagger: structs.Duration(tc.stagger)}
			h.UpsertJob(job)
			placeAndRun(t, h, job)

			job.Version = 1
			job.Groups[0].Tasks[0].Env = map[string]string{"V": "2"}
			h.UpsertJob(job)
			process(t, h, testEval(job))
			first := planAllocs(h.Plans[len(h.Plans)-1].NodeAllocation)
			if len(first) != 1 {
				t.Fatalf("first batch placed %d, want max_parallel 1", len(first))
			}
			c := h.AllocByID(first[0].ID).Copy()
			c.ClientStatus = structs.AllocClientRunning
			h.UpsertAllocs(c)

			plans := len(h.Plans)
			process(t, h, testEval(job))
			second := 0
			if len(h.Plans) > plans {
				second = len(planAllocs(h.Plans[len(h.Plans)-1].NodeAllocation))
			}
			if second != tc.wantSecond {
				t.Fatalf("second batch placed %d, want %d", second, tc.wantSecond)
			}
			if tc.stagger == 0 {
				return
			}
			want := first[0].CreateTime + int64(tc.stagger)
			var found bool
			for _, e := range h.CreateEvals {
				found = found || e.WaitUntil == want
			}
			if !found {
				t.Fatalf("no delayed evaluation at the end of the stagger among %d", len(h.CreateEvals))
			}
		})
	}
}

// System jobs: the next node's update waits stagger after the previous
// one was placed (Nomad's documented use of stagger).
func TestStagger_SystemJob(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(3)...)
	job := systemJob("agent", structs.JobTypeSystem)
	job.Update = &structs.UpdateStrategy{MaxParallel: 1, Stagger: structs.Duration(time.Hour)}
	h.UpsertJob(job)
	process(t, h, testEval(job))
	for _, a := range liveAllocs(t, h, job) {
		c := a.Copy()
		c.ClientStatus = structs.AllocClientRunning
		h.UpsertAllocs(c)
	}

	job.Version = 1
	job.Groups[0].Tasks[0].Env = map[string]string{"V": "2"}
	h.UpsertJob(job)
	process(t, h, testEval(job))
	first := planAllocs(h.Plans[len(h.Plans)-1].NodeAllocation)
	if len(first) != 1 {
		t.Fatalf("first batch placed %d, want 1", len(first))
	}
	c := h.AllocByID(first[0].ID).Copy()
	c.ClientStatus = structs.AllocClientRunning
	h.UpsertAllocs(c)
	plans := len(h.Plans)
	process(t, h, testEval(job))
	if len(h.Plans) != plans {
		t.Fatalf("second batch placed before the stagger: %+v", planAllocs(h.Plans[len(h.Plans)-1].NodeAllocation))
	}
	want := first[0].CreateTime + int64(time.Hour)
	var found bool
	for _, e := range h.CreateEvals {
		found = found || e.WaitUntil == want
	}
	if !found {
		t.Fatal("no delayed evaluation at the end of the stagger")
	}
}
