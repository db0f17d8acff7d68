package scheduler

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// With health checks in the group, a running replacement still counts as
// in flight until its checks pass: health gates the rollout.
func TestUpdate_RollingWaitsForHealthyReplacements(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(3)...)
	job := testJob("web", 2)
	job.Update = &structs.UpdateStrategy{MaxParallel: 1}
	job.Groups[0].Tasks[0].Checks = []*structs.Check{{Name: "alive", Type: "tcp", Port: "8080"}}
	h.UpsertJob(job)
	placeAndRun(t, h, job)

	v1 := newVersion(job, func(j *structs.Job) {
		j.Groups[0].Tasks[0].Config = map[string]any{"command": "/bin/v2"}
	})
	h.UpsertJob(v1)
	process(t, h, testEval(v1))
	var replacement *structs.Allocation
	for _, a := range liveAllocs(t, h, v1) {
		if a.JobVersion == 1 {
			replacement = a
		}
	}
	if replacement == nil {
		t.Fatal("the first replacement was not placed")
	}
	countV1 := func() int {
		n := 0
		for _, a := range liveAllocs(t, h, v1) {
			if a.JobVersion == 1 {
				n++
			}
		}
		return n
	}

	running := replacement.Copy()
	running.ClientStatus = structs.AllocClientRunning
	h.UpsertAllocs(running)
	process(t, h, testEval(v1))
	if n := countV1(); n != 1 {
		t.Fatalf("%d allocations at v1 while the replacement is running but not healthy, want 1", n)
	}

	healthy := running.Copy()
	yes := true
	healthy.Healthy = &yes
	h.UpsertAllocs(healthy)
	process(t, h, testEval(v1))
	if n := countV1(); n != 2 {
		t.Fatalf("%d allocations at v1 after the replacement turned healthy, want 2", n)
	}
}
