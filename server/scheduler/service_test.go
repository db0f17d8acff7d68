package scheduler

import (
	"slices"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func TestService_PlacesCount(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(5)...)
	job := testJob("web", 3)
	h.UpsertJob(job)
	eval := testEval(job)

	got := process(t, h, eval)
	if got.Status != structs.EvalStatusComplete || got.BlockedEval != "" || len(got.FailedTGAllocs) != 0 {
		t.Fatalf("eval = %+v, want complete without failures", got)
	}
	if got.QueuedAllocations["web"] != 0 {
		t.Fatalf("queued = %v, want web:0", got.QueuedAllocations)
	}
	if len(h.Plans) != 1 {
		t.Fatalf("%d plans, want 1", len(h.Plans))
	}
	placed := planAllocs(h.Plans[0].NodeAllocation)
	if names := allocNames(placed); !slices.Equal(names, wantNames(job, 0, 1, 2)) {
		t.Fatalf("placed %v", names)
	}
	for _, a := range placed {
		switch {
		case a.ID == "" || a.EvalID != eval.ID || a.JobID != "web" || a.Namespace != "default":
			t.Fatalf("identity fields wrong: %+v", a)
		case a.NodeID == "" || a.NodeName == "" || !strings.HasPrefix(a.NodeName, "host-"):
			t.Fatalf("node fields wrong: %+v", a)
		case a.DesiredStatus != structs.AllocDesiredRun || a.ClientStatus != structs.AllocClientPending:
			t.Fatalf("statuses wrong: %+v", a)
		case a.Resources == nil || *a.Resources != (structs.Resources{CPU: 500, MemoryMB: 256}):
			t.Fatalf("resources = %+v", a.Resources)
		case a.TaskResources["server"] == nil || *a.TaskResources["server"] != *a.Resources:
			t.Fatalf("task resources = %+v", a.TaskResources)
		case a.CreateTime == 0 || a.ModifyTime == 0:
			t.Fatalf("times not set: %+v", a)
		case a.Metrics == nil || a.Metrics.NodesEvaluated == 0 || a.Metrics.NodesAvailable["dc1"] != 5:
			t.Fatalf("metrics = %+v", a.Metrics)
		}
	}
	if got.SnapshotIndex == 0 {
		t.Fatal("snapshot index not recorded")
	}

	// A second evaluation of the unchanged job changes nothing.
	process(t, h, testEval(job))
	if len(h.Plans) != 1 {
		t.Fatalf("re-evaluation submitted a plan: %+v", h.Plans[len(h.Plans)-1])
	}
}

func TestService_BinPackPrefersFullerNode(t *testing.T) {
	h := NewHarness()
	empty, busy := testNode(1), testNode(2)
	h.UpsertNode(empty, busy)
	other := testJob("other", 1)
	other.Groups[0].Tasks[0].Resources = &structs.Resources{CPU: 2000, MemoryMB: 4096}
	h.UpsertJob(other)
	h.UpsertAllocs(testAlloc(other, 0, busy))

	job := testJob("web", 1)
	h.UpsertJob(job)
	process(t, h, testEval(job))
	placed := liveAllocs(t, h, job)
	if len(placed) != 1 || placed[0].NodeID != busy.ID {
		t.Fatalf("placed on %v, want the fuller node %s", placed, busy.ID)
	}
	if placed[0].Metrics.Score <= 0 || placed[0].Metrics.Score > 1 {
		t.Fatalf("score %v not normalized to (0,1]", placed[0].Metrics.Score)
	}
}

func TestService_CountsPlannedUsage(t *testing.T) {
	// Each node holds exactly two allocations of 2000 MHz; the plan must
	// count its own earlier placements or it would overcommit.
	h := NewHarness()
	h.UpsertNode(testNodes(3)...)
	job := testJob("web", 7)
	job.Groups[0].Tasks[0].Resources = &structs.Resources{CPU: 2000, MemoryMB: 100}
	h.UpsertJob(job)

	got := process(t, h, testEval(job))
	perNode := map[string]int{}
	for _, a := range liveAllocs(t, h, job) {
		perNode[a.NodeID]++
	}
	if len(perNode) != 3 || perNode["node-0000"] != 2 || perNode["node-0001"] != 2 || perNode["node-0002"] != 2 {
		t.Fatalf("per node = %v, want 2 on each of 3 nodes", perNode)
	}
	m := got.FailedTGAllocs["web"]
	if m == nil || m.DimensionExhausted["cpu"] != 3 || got.QueuedAllocations["web"] != 1 {
		t.Fatalf("failed = %+v queued = %v", m, got.QueuedAllocations)
	}
}

func TestService_NoNodeHasEnoughMemory(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(4)...)
	job := testJob("big", 3)
	job.Groups[0].Tasks[0].Resources = &structs.Resources{CPU: 100, MemoryMB: 10000}
	h.UpsertJob(job)
	eval := testEval(job)

	got := process(t, h, eval)
	if len(h.Plans) != 0 {
		t.Fatalf("a plan was submitted: %+v", h.Plans[0])
	}
	m := got.FailedTGAllocs["web"]
	switch {
	case m == nil:
		t.Fatalf("no failure metric: %+v", got)
	case m.DimensionExhausted["memory"] != 4 || m.NodesExhausted != 4 || m.NodesEvaluated != 4:
		t.Fatalf("metric = %+v, want memory exhausted on all 4 nodes", m)
	case m.CoalescedFailures != 2:
		t.Fatalf("coalesced = %d, want 2", m.CoalescedFailures)
	case got.QueuedAllocations["web"] != 3:
		t.Fatalf("queued = %v", got.QueuedAllocations)
	case got.Status != structs.EvalStatusComplete:
		t.Fatalf("status = %s", got.Status)
	}
	if len(h.CreateEvals) != 1 {
		t.Fatalf("%d evals created, want 1 blocked", len(h.CreateEvals))
	}
	b := h.CreateEvals[0]
	if b.Status != structs.EvalStatusBlocked || b.ID != got.BlockedEval || b.PreviousEval != eval.ID ||
		b.JobID != job.ID || b.FailedTGAllocs["web"] == nil || b.SnapshotIndex != got.SnapshotIndex {
		t.Fatalf("blocked eval = %+v (eval.BlockedEval %q)", b, got.BlockedEval)
	}
}

func TestService_RetriedBlockedEvalBlocksAgain(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(1)...)
	job := testJob("big", 1)
	job.Groups[0].Tasks[0].Resources.MemoryMB = 99999
	h.UpsertJob(job)
	eval := testEval(job)
	eval.Status = structs.EvalStatusBlocked
	eval.TriggeredBy = structs.EvalTriggerQueuedAllocs

	got := process(t, h, eval)
	if got.Status != structs.EvalStatusComplete || len(h.CreateEvals) != 1 || got.BlockedEval != h.CreateEvals[0].ID {
		t.Fatalf("eval = %+v, created %d", got, len(h.CreateEvals))
	}
	if h.CreateEvals[0].ID == eval.ID {
		t.Fatal("blocked follow-up reuses the retried eval's ID")
	}
}

func TestService_MissingDriverFiltersNode(t *testing.T) {
	h := NewHarness()
	noDocker, unhealthy, ok := testNode(1), testNode(2), testNode(3)
	unhealthy.Drivers["docker"] = &structs.DriverInfo{Detected: true, Healthy: false}
	ok.Drivers["docker"] = &structs.DriverInfo{Detected: true, Healthy: true}
	h.UpsertNode(noDocker, unhealthy, ok)
	job := testJob("web", 2)
	job.Groups[0].Tasks[0].Driver = "docker"
	h.UpsertJob(job)

	process(t, h, testEval(job))
	allocs := liveAllocs(t, h, job)
	if len(allocs) != 2 {
		t.Fatalf("%d placed, want 2", len(allocs))
	}
	for _, a := range allocs {
		if a.NodeID != ok.ID {
			t.Fatalf("placed on %s, want only %s", a.NodeID, ok.ID)
		}
	}
	// Metrics of the last placement: both other nodes are filtered by
	// the driver check (each is visited once, at most).
	m := allocs[0].Metrics
	if m.ConstraintFiltered[`missing driver "docker"`] == 0 || m.NodesFiltered != m.ConstraintFiltered[`missing driver "docker"`] {
		t.Fatalf("metric = %+v", m)
	}
}

func TestService_ConstraintAndDatacenterFiltering(t *testing.T) {
	h := NewHarness()
	var nodes []*structs.Node
	for i, dc := range []string{"us-east", "us-west", "eu-west", "us-east"} {
		n := testNode(i)
		n.Datacenter = dc
		n.Meta["rack"] = []string{"r1", "r2", "r1", "r3"}[i]
		nodes = append(nodes, n)
	}
	h.UpsertNode(nodes...)
	job := testJob("web", 4)
	job.Datacenters = []string{"us-*"}
	job.Groups[0].Constraints = []*structs.Constraint{{Attribute: "${meta.rack}", Operator: "glob", Value: "r[12]"}}
	h.UpsertJob(job)

	got := process(t, h, testEval(job))
	for _, a := range liveAllocs(t, h, job) {
		if a.NodeID != nodes[0].ID && a.NodeID != nodes[1].ID {
			t.Fatalf("placed on %s (dc/rack not allowed)", a.NodeID)
		}
		if a.Metrics.NodesAvailable["eu-west"] != 0 || a.Metrics.NodesAvailable["us-east"] != 2 {
			t.Fatalf("nodes available = %v", a.Metrics.NodesAvailable)
		}
	}
	if len(got.FailedTGAllocs) != 0 {
		t.Fatalf("failures: %+v", got.FailedTGAllocs["web"])
	}

	// Impossible constraint: every candidate is filtered, with the reason.
	job2 := testJob("api", 1)
	job2.Constraints = []*structs.Constraint{{Attribute: "${attr.kernel.name}", Operator: "=", Value: "windows"}}
	h.UpsertJob(job2)
	got = process(t, h, testEval(job2))
	m := got.FailedTGAllocs["web"]
	if m == nil || m.ConstraintFiltered["${attr.kernel.name} = windows"] != 4 || m.NodesFiltered != 4 {
		t.Fatalf("metric = %+v", m)
	}
}

func TestService_DistinctHosts(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(2)...)
	job := testJob("web", 3)
	job.Groups[0].Constraints = []*structs.Constraint{{Operator: structs.ConstraintDistinctHosts}}
	h.UpsertJob(job)

	got := process(t, h, testEval(job))
	allocs := liveAllocs(t, h, job)
	if len(allocs) != 2 || allocs[0].NodeID == allocs[1].NodeID {
		t.Fatalf("allocs = %v, want 2 on distinct nodes", allocs)
	}
	if m := got.FailedTGAllocs["web"]; m == nil || m.ConstraintFiltered[reasonDistinctHosts] != 2 {
		t.Fatalf("failed = %+v", m)
	}
}

func TestService_UniqueConstraintIsCheckedPerNode(t *testing.T) {
	// Nodes 0..3 share a computed class; a constraint on the unique name
	// must still tell them apart.
	h := NewHarness()
	h.UpsertNode(testNodes(4)...)
	job := testJob("web", 2)
	job.Constraints = []*structs.Constraint{{Attribute: "${node.unique.name}", Operator: "=", Value: "host-2"}}
	h.UpsertJob(job)

	process(t, h, testEval(job))
	for _, a := range liveAllocs(t, h, job) {
		if a.NodeName != "host-2" {
			t.Fatalf("placed on %s", a.NodeName)
		}
	}
	if n := len(liveAllocs(t, h, job)); n != 2 {
		t.Fatalf("%d placed, want 2", n)
	}
}

func TestService_BoundedCandidates(t *testing.T) {
	// With 100 empty nodes a service placement scores ceil(log2(100)) = 7
	// nodes and a batch placement 2; neither walks the whole cluster.
	for _, tc := range []struct {
		typ  string
		want int
	}{{structs.JobTypeService, 7}, {structs.JobTypeBatch, 2}} {
		h := NewHarness()
		h.UpsertNode(testNodes(100)...)
		job := testJob("web", 5)
		job.Type = tc.typ
		h.UpsertJob(job)
		process(t, h, testEval(job))
		for _, a := range liveAllocs(t, h, job) {
			if a.Metrics.NodesEvaluated != tc.want {
				t.Fatalf("%s: evaluated %d nodes, want %d", tc.typ, a.Metrics.NodesEvaluated, tc.want)
			}
		}
	}
}

func TestService_ReproducibleForOneEval(t *testing.T) {
	run := func() []string {
		h := NewHarness()
		h.UpsertNode(testNodes(50)...)
		job := testJob("web", 10)
		h.UpsertJob(job)
		eval := testEval(job)
		eval.ID = "00000000-0000-4000-8000-000000000001"
		process(t, h, eval)
		var out []string
		for _, a := range liveAllocs(t, h, job) {
			out = append(out, a.Name+"@"+a.NodeID)
		}
		return out
	}
	a, b := run(), run()
	if !slices.Equal(a, b) {
		t.Fatalf("same eval placed differently:\n%v\n%v", a, b)
	}
}

func TestNewScheduler(t *testing.T) {
	h := NewHarness()
	for _, typ := range []string{structs.JobTypeService, structs.JobTypeBatch, structs.JobTypeSystem, structs.JobTypeSysBatch} {
		if s, err := NewScheduler(typ, nil, h, h); err != nil || s == nil {
			t.Fatalf("%s: %v", typ, err)
		}
	}
	for typ, want := range map[string]string{
		"cron": `no scheduler for job type "cron"`,
	} {
		if _, err := NewScheduler(typ, nil, h, h); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: err = %v, want %q", typ, err, want)
		}
	}
}
