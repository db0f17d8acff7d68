package scheduler

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func systemJob(id, typ string) *structs.Job {
	job := testJob(id, 1)
	job.Type = typ
	job.Groups[0].Tasks[0].Resources = &structs.Resources{CPU: 100, MemoryMB: 64}
	job.Canonicalize()
	return job
}

func TestSystem_OnePerEligibleNodeAndLaterJoiners(t *testing.T) {
	h := NewHarness()
	nodes := testNodes(4)
	nodes[3].Attributes["kernel.name"] = "windows"
	h.UpsertNode(nodes...)
	job := systemJob("agent", structs.JobTypeSystem)
	job.Constraints = []*structs.Constraint{{Attribute: "${attr.kernel.name}", Operator: "=", Value: "linux"}}
	h.UpsertJob(job)

	got := process(t, h, testEval(job))
	if len(got.FailedTGAllocs) != 0 {
		t.Fatalf("failed: %+v", got.FailedTGAllocs)
	}
	perNode := map[string]int{}
	for _, a := range liveAllocs(t, h, job) {
		perNode[a.NodeID]++
	}
	if len(perNode) != 3 || perNode["node-0003"] != 0 {
		t.Fatalf("per node = %v, want one on each linux node", perNode)
	}
	for n, c := range perNode {
		if c != 1 {
			t.Fatalf("node %s has %d allocations", n, c)
		}
	}

	// Running again changes nothing; a node that joins later gets one.
	process(t, h, testEval(job))
	if len(liveAllocs(t, h, job)) != 3 {
		t.Fatalf("second evaluation placed again")
	}
	h.UpsertNode(testNode(9))
	process(t, h, testEval(job))
	live := liveAllocs(t, h, job)
	if len(live) != 4 {
		t.Fatalf("after join: %d allocations, want 4", len(live))
	}
	found := false
	for _, a := range live {
		found = found || a.NodeID == "node-0009"
	}
	if !found {
		t.Fatal("node that joined later got no allocation")
	}
}

func TestSystem_LostNodeAndStoppedJob(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(2)...)
	job := systemJob("agent", structs.JobTypeSystem)
	h.UpsertJob(job)
	placeAndRun(t, h, job)

	down := testNode(1)
	down.Status = structs.NodeStatusDown
	h.UpsertNode(down)
	process(t, h, testEval(job))
	live := liveAllocs(t, h, job)
	if len(live) != 1 || live[0].NodeID != "node-0000" {
		t.Fatalf("live after node down = %v", live)
	}
	job.Stop = true
	h.UpsertJob(job)
	process(t, h, testEval(job))
	if n := len(liveAllocs(t, h, job)); n != 0 {
		t.Fatalf("%d allocations live after stop", n)
	}
}

func TestSysBatch_CompletedNodesAreDone(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(3)...)
	job := systemJob("scan", structs.JobTypeSysBatch)
	h.UpsertJob(job)
	process(t, h, testEval(job))
	for _, a := range liveAllocs(t, h, job) {
		c := a.Copy()
		c.ClientStatus = structs.AllocClientComplete
		h.UpsertAllocs(c)
	}
	before := len(h.Plans)
	process(t, h, testEval(job))
	if len(h.Plans) != before {
		t.Fatalf("sysbatch re-ran completed work: %v", planAllocs(h.Plans[len(h.Plans)-1].NodeAllocation))
	}
	h.UpsertNode(testNode(7))
	process(t, h, testEval(job))
	placed := planAllocs(h.Plans[len(h.Plans)-1].NodeAllocation)
	if len(placed) != 1 || placed[0].NodeID != "node-0007" {
		t.Fatalf("placed %v, want one on the new node", placed)
	}
}

func TestSystem_NodeWithoutRoomBlocks(t *testing.T) {
	h := NewHarness()
	small := testNode(0)
	small.Resources = &structs.NodeResources{CPU: 50, MemoryMB: 64}
	h.UpsertNode(small, testNode(1))
	job := systemJob("agent", structs.JobTypeSystem)
	h.UpsertJob(job)
	got := process(t, h, testEval(job))
	m := got.FailedTGAllocs["web"]
	if m == nil || m.DimensionExhausted[dimensionCPU] != 1 {
		t.Fatalf("failed = %+v, want cpu exhausted on one node", m)
	}
	if len(h.CreateEvals) != 1 || h.CreateEvals[0].Status != structs.EvalStatusBlocked {
		t.Fatalf("created evals = %+v, want one blocked", h.CreateEvals)
	}
	if n := len(liveAllocs(t, h, job)); n != 1 {
		t.Fatalf("%d live, want 1", n)
	}
}
