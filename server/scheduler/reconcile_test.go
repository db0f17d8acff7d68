package scheduler

import (
	"slices"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// placeAndRun places the job and marks its allocations running, as the
// clients would report.
func placeAndRun(t *testing.T, h *Harness, job *structs.Job) []*structs.Allocation {
	t.Helper()
	process(t, h, testEval(job))
	allocs := liveAllocs(t, h, job)
	for _, a := range allocs {
		c := a.Copy()
		c.ClientStatus = structs.AllocClientRunning
		h.UpsertAllocs(c)
	}
	return liveAllocs(t, h, job)
}

func TestReconcile_ScaleDownStopsHighestIndexes(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(3)...)
	job := testJob("web", 5)
	h.UpsertJob(job)
	placeAndRun(t, h, job)

	job.Groups[0].Count = 2 // same version: a pure scale
	h.UpsertJob(job)
	process(t, h, testEval(job))

	plan := h.Plans[len(h.Plans)-1]
	if len(plan.NodeAllocation) != 0 {
		t.Fatalf("scale down placed allocations: %v", planAllocs(plan.NodeAllocation))
	}
	var stopped []string
	for _, st := range planAllocs(plan.NodeUpdate) {
		stopped = append(stopped, h.AllocByID(st.ID).Name)
		if st.DesiredDescription != descScaledDown || st.DesiredStatus != structs.AllocDesiredStop {
			t.Fatalf("stop = %+v", st)
		}
	}
	slices.Sort(stopped)
	if !slices.Equal(stopped, wantNames(job, 2, 3, 4)) {
		t.Fatalf("stopped %v", stopped)
	}
	if names := allocNames(liveAllocs(t, h, job)); !slices.Equal(names, wantNames(job, 0, 1)) {
		t.Fatalf("left running %v", names)
	}
}

func TestReconcile_JobStopAndDeregister(t *testing.T) {
	for _, tc := range []struct {
		name, desc string
		change     func(h *Harness, job *structs.Job)
	}{
		{"stop", descJobStopped, func(h *Harness, job *structs.Job) { job.Stop = true; h.UpsertJob(job) }},
		{"deregister", descJobDeregistered, func(h *Harness, job *structs.Job) { h.DeleteJob(job.Namespace, job.ID) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHarness()
			h.UpsertNode(testNodes(2)...)
			job := testJob("web", 3)
			h.UpsertJob(job)
			placeAndRun(t, h, job)
			tc.change(h, job)

			got := process(t, h, testEval(job))
			stops := planAllocs(h.Plans[len(h.Plans)-1].NodeUpdate)
			if len(stops) != 3 {
				t.Fatalf("%d stops, want 3", len(stops))
			}
			for _, st := range stops {
				if st.DesiredDescription != tc.desc {
					t.Fatalf("description %q, want %q", st.DesiredDescription, tc.desc)
				}
			}
			if n := len(liveAllocs(t, h, job)); n != 0 || got.Status != structs.EvalStatusComplete {
				t.Fatalf("%d live allocs, status %s", n, got.Status)
			}
		})
	}
}

func TestReconcile_VersionChangeReplaces(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(3)...)
	job := testJob("web", 3)
	h.UpsertJob(job)
	old := placeAndRun(t, h, job)

	job.Version = 1
	job.Groups[0].Tasks[0].Env = map[string]string{"V": "2"}
	h.UpsertJob(job)
	process(t, h, testEval(job))

	plan := h.Plans[len(h.Plans)-1]
	stops, placed := planAllocs(plan.NodeUpdate), planAllocs(plan.NodeAllocation)
	if len(stops) != 3 || len(placed) != 3 {
		t.Fatalf("%d stops and %d placements, want 3 and 3", len(stops), len(placed))
	}
	prev := map[string]string{} // old ID -> old name
	for _, a := range old {
		prev[a.ID] = a.Name
	}
	for _, a := range placed {
		if a.JobVersion != 1 || prev[a.PreviousAllocation] != a.Name {
			t.Fatalf("replacement %s v%d previous %q", a.Name, a.JobVersion, a.PreviousAllocation)
		}
	}
	for _, st := range stops {
		if st.DesiredDescription != descUpdated {
			t.Fatalf("stop description %q", st.DesiredDescription)
		}
	}
	for _, a := range liveAllocs(t, h, job) {
		if a.JobVersion != 1 {
			t.Fatalf("old version still live: %+v", a)
		}
	}
}

func TestReconcile_VersionChangeThatDoesNotFitKeepsOld(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(1)...)
	job := testJob("web", 2)
	h.UpsertJob(job)
	old := placeAndRun(t, h, job)

	job.Version = 1
	job.Groups[0].Tasks[0].Resources.MemoryMB = 99999
	h.UpsertJob(job)
	got := process(t, h, testEval(job))

	if len(h.Plans) != 1 {
		t.Fatalf("a plan stopping the old version was submitted: %+v", h.Plans[len(h.Plans)-1].NodeUpdate)
	}
	if live := liveAllocs(t, h, job); len(live) != 2 || live[0].ID != old[0].ID {
		t.Fatalf("old allocations not kept: %v", live)
	}
	if got.QueuedAllocations["web"] != 2 || got.BlockedEval == "" {
		t.Fatalf("eval = %+v", got)
	}
}

func TestReconcile_NodeDownReplacesElsewhere(t *testing.T) {
	for _, tc := range []struct {
		name, desc string
		fail       func(h *Harness, n *structs.Node)
	}{
		{"down", descNodeDown, func(h *Harness, n *structs.Node) {
			n.Status = structs.NodeStatusDown
			h.UpsertNode(n)
		}},
		{"missing", descNodeMissing, func(h *Harness, n *structs.Node) { h.DeleteNode(n.ID) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHarness()
			nodes := testNodes(3)
			h.UpsertNode(nodes...)
			job := testJob("web", 2)
			h.UpsertJob(job)
			lost := testAlloc(job, 0, nodes[0])
			h.UpsertAllocs(lost, testAlloc(job, 1, nodes[1]))
			tc.fail(h, nodes[0])

			process(t, h, testEval(job))
			plan := h.Plans[len(h.Plans)-1]
			stops := plan.NodeUpdate[nodes[0].ID]
			if len(stops) != 1 || stops[0].ID != lost.ID || stops[0].ClientStatus != structs.AllocClientLost ||
				stops[0].DesiredDescription != tc.desc {
				t.Fatalf("stops = %+v", stops)
			}
			if s := h.AllocByID(lost.ID); s.ClientStatus != structs.AllocClientLost || s.DesiredStatus != structs.AllocDesiredStop {
				t.Fatalf("stored lost alloc = %+v", s)
			}
			placed := planAllocs(plan.NodeAllocation)
			if len(placed) != 1 || placed[0].Name != lost.Name || placed[0].PreviousAllocation != lost.ID ||
				placed[0].NodeID == nodes[0].ID {
				t.Fatalf("replacement = %+v", placed)
			}
		})
	}
}

func TestReconcile_TerminalAllocations(t *testing.T) {
	// Per case: the client status of the alloc at index 0, the job type,
	// the alloc's version relative to the job, and whether index 0 is
	// placed again.
	for _, tc := range []struct {
		name, typ, status string
		oldVersion        bool
		replaced          bool
	}{
		{"batch complete is done", structs.JobTypeBatch, structs.AllocClientComplete, false, false},
		{"batch complete of old version is done", structs.JobTypeBatch, structs.AllocClientComplete, true, false},
		// Failed just now: the reschedule delay has not passed (reschedule_test.go).
		{"batch failed is not rescheduled before its delay", structs.JobTypeBatch, structs.AllocClientFailed, false, false},
		{"service failed is not rescheduled before its delay", structs.JobTypeService, structs.AllocClientFailed, false, false},
		{"failed of old version is replaced", structs.JobTypeService, structs.AllocClientFailed, true, true},
		{"service complete is replaced", structs.JobTypeService, structs.AllocClientComplete, false, true},
		{"lost is replaced", structs.JobTypeService, structs.AllocClientLost, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHarness()
			nodes := testNodes(2)
			h.UpsertNode(nodes...)
			job := testJob("work", 2)
			job.Type, job.Version = tc.typ, 3
			h.UpsertJob(job)
			done := testAlloc(job, 0, nodes[0])
			done.ClientStatus = tc.status
			done.ModifyTime = time.Now().UnixNano()
			if tc.oldVersion {
				done.JobVersion = 2
			}
			h.UpsertAllocs(done, testAlloc(job, 1, nodes[1]))

			process(t, h, testEval(job))
			var placed []*structs.Allocation
			if len(h.Plans) > 0 {
				placed = planAllocs(h.Plans[0].NodeAllocation)
			}
			if !tc.replaced {
				if len(placed) != 0 {
					t.Fatalf("placed %v", allocNames(placed))
				}
				return
			}
			if len(placed) != 1 || placed[0].Name != done.Name || placed[0].PreviousAllocation != done.ID {
				t.Fatalf("placed %+v, want a replacement of %s", placed, done.Name)
			}
		})
	}
}

func TestReconcile_DuplicateNamesAndRemovedGroups(t *testing.T) {
	h := NewHarness()
	nodes := testNodes(2)
	h.UpsertNode(nodes...)
	job := testJob("web", 1)
	h.UpsertJob(job)
	keep, dup := testAlloc(job, 0, nodes[0]), testAlloc(job, 0, nodes[1])
	dup.JobVersion = 7 // not the current version: the one to drop
	gone := testAlloc(job, 0, nodes[1])
	gone.TaskGroup, gone.Name = "old", structs.AllocName(job.ID, "old", 0)
	h.UpsertAllocs(keep, dup, gone)

	process(t, h, testEval(job))
	descs := map[string]string{}
	for _, st := range planAllocs(h.Plans[0].NodeUpdate) {
		descs[st.ID] = st.DesiredDescription
	}
	if len(descs) != 2 || descs[dup.ID] != descDuplicate || descs[gone.ID] != descGroupRemoved {
		t.Fatalf("stops = %v", descs)
	}
	if len(h.Plans[0].NodeAllocation) != 0 {
		t.Fatalf("placed %v", planAllocs(h.Plans[0].NodeAllocation))
	}
}

func TestReconcile_PartialCommitRetries(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(4)...)
	job := testJob("web", 6)
	h.UpsertJob(job)
	rejected := ""
	h.RejectNode = func(plan *structs.Plan, nodeID string) bool {
		if rejected == "" {
			rejected = nodeID // only the first node of the first plan
			return true
		}
		return false
	}

	got := process(t, h, testEval(job))
	if len(h.Plans) != 2 || h.Results[0].RefreshIndex == 0 {
		t.Fatalf("%d plans, first result %+v", len(h.Plans), h.Results[0])
	}
	if got.Status != structs.EvalStatusComplete {
		t.Fatalf("status %s", got.Status)
	}
	if names := allocNames(liveAllocs(t, h, job)); !slices.Equal(names, wantNames(job, 0, 1, 2, 3, 4, 5)) {
		t.Fatalf("live %v", names)
	}
	second := planAllocs(h.Plans[1].NodeAllocation)
	if want := len(h.Plans[0].NodeAllocation[rejected]); len(second) != want {
		t.Fatalf("retry placed %d, want only the %d rejected", len(second), want)
	}
}

func TestReconcile_PlanRejectedEveryTimeFailsEval(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(2)...)
	job := testJob("web", 2)
	h.UpsertJob(job)
	h.RejectNode = func(*structs.Plan, string) bool { return true }

	got := process(t, h, testEval(job))
	if len(h.Plans) != maxPlanAttempts {
		t.Fatalf("%d plans, want %d", len(h.Plans), maxPlanAttempts)
	}
	if got.Status != structs.EvalStatusFailed || got.StatusDescription == "" {
		t.Fatalf("eval = %+v", got)
	}
	if len(h.CreateEvals) != 1 || h.CreateEvals[0].TriggeredBy != structs.EvalTriggerMaxPlans ||
		got.BlockedEval != h.CreateEvals[0].ID {
		t.Fatalf("created = %+v", h.CreateEvals)
	}
}

func TestReconcile_VersionChangeReusesCapacityOfStoppedAllocs(t *testing.T) {
	// The only node holds exactly two allocations. The new version fits
	// only because the plan stops the old one on the same node first.
	h := NewHarness()
	h.UpsertNode(testNode(0))
	job := testJob("web", 2)
	job.Groups[0].Tasks[0].Resources = &structs.Resources{CPU: 2000, MemoryMB: 1024}
	h.UpsertJob(job)
	placeAndRun(t, h, job)

	job = job.Copy()
	job.Version = 1
	job.Groups[0].Tasks[0].Config = map[string]any{"command": "/bin/true"} // destructive
	h.UpsertJob(job)
	got := process(t, h, testEval(job))
	if len(got.FailedTGAllocs) != 0 {
		t.Fatalf("failed: %+v", got.FailedTGAllocs["web"])
	}
	live := liveAllocs(t, h, job)
	if len(live) != 2 || live[0].JobVersion != 1 || live[1].JobVersion != 1 {
		t.Fatalf("live = %v", live)
	}
}

func TestReconcile_FailedReplacementGivesCapacityBack(t *testing.T) {
	// web's new version fits nowhere, so its running allocations stay and
	// keep their capacity: the new group "api" must not be planned into
	// the room their tentative stop would have freed.
	h := NewHarness()
	h.UpsertNode(testNode(0))
	job := testJob("web", 2)
	job.Groups[0].Tasks[0].Resources = &structs.Resources{CPU: 2000, MemoryMB: 1024}
	h.UpsertJob(job)
	placeAndRun(t, h, job)

	job.Version = 1
	job.Groups[0].Tasks[0].Resources = &structs.Resources{CPU: 5000, MemoryMB: 1024}
	api := job.Groups[0].Copy()
	api.Name, api.Count = "api", 1
	api.Tasks[0].Resources = &structs.Resources{CPU: 2000, MemoryMB: 1024}
	job.Groups = append(job.Groups, api)
	h.UpsertJob(job)

	got := process(t, h, testEval(job))
	if len(h.Plans) != 1 {
		t.Fatalf("a second plan was submitted: %v", planAllocs(h.Plans[len(h.Plans)-1].NodeAllocation))
	}
	if m := got.FailedTGAllocs["api"]; m == nil || m.DimensionExhausted["cpu"] != 1 {
		t.Fatalf("api failure = %+v", m)
	}
	if got.QueuedAllocations["web"] != 2 || got.QueuedAllocations["api"] != 1 {
		t.Fatalf("queued = %v", got.QueuedAllocations)
	}
}

// refreshingPlanner rejects the first plan outright and hands back a
// different, fresher state; later plans go to the embedded harness.
type refreshingPlanner struct {
	*Harness
	calls int
}

func (p *refreshingPlanner) SubmitPlan(plan *structs.Plan) (*structs.PlanResult, State, error) {
	p.calls++
	if p.calls == 1 {
		return &structs.PlanResult{RefreshIndex: 99}, p.Harness, nil
	}
	return p.Harness.SubmitPlan(plan)
}

func TestReconcile_RetryUsesReturnedState(t *testing.T) {
	stale, fresh := NewHarness(), NewHarness()
	job := testJob("web", 3)
	for _, h := range []*Harness{stale, fresh} {
		h.UpsertNode(testNodes(2)...)
		h.UpsertJob(job)
	}
	scaled := job.Copy()
	scaled.Groups[0].Count = 1 // the job changed after the stale snapshot
	fresh.UpsertJob(scaled)

	planner := &refreshingPlanner{Harness: fresh}
	if err := NewServiceScheduler(nil, stale, planner).Process(testEval(job)); err != nil {
		t.Fatal(err)
	}
	if planner.calls != 2 || len(fresh.Plans) != 1 {
		t.Fatalf("%d submissions, %d reached the harness", planner.calls, len(fresh.Plans))
	}
	if n := len(planAllocs(fresh.Plans[0].NodeAllocation)); n != 1 {
		t.Fatalf("retry placed %d, want 1 from the fresh state", n)
	}
	if got := fresh.Evals[0]; got.Status != structs.EvalStatusComplete {
		t.Fatalf("eval = %+v", got)
	}
}
