package scheduler

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// testNode returns a ready node with 4000 MHz, 8192 MB and a healthy exec
// driver. IDs are readable and stable so failures are easy to follow.
func testNode(i int) *structs.Node {
	return &structs.Node{
		ID:         fmt.Sprintf("node-%04d", i),
		Name:       fmt.Sprintf("host-%d", i),
		Datacenter: "dc1",
		Attributes: map[string]string{
			"kernel.name": "linux", "os.version": "5.15.0", "cpu.cores": "8",
			"unique.hostname": fmt.Sprintf("host-%d", i),
		},
		Meta:      map[string]string{"rack": "r1"},
		Resources: &structs.NodeResources{CPU: 4000, Cores: 8, MemoryMB: 8192},
		Drivers: map[string]*structs.DriverInfo{
			"exec": {Detected: true, Healthy: true},
		},
		Status:                structs.NodeStatusReady,
		SchedulingEligibility: structs.NodeEligible,
	}
}

func testNodes(n int) []*structs.Node {
	out := make([]*structs.Node, n)
	for i := range out {
		out[i] = testNode(i)
	}
	return out
}

// testJob is a canonical service job with one group "web" of one exec
// task asking 500 MHz and 256 MB.
func testJob(id string, count int) *structs.Job {
	job := &structs.Job{
		ID:   id,
		Type: structs.JobTypeService,
		Groups: []*structs.TaskGroup{{
			Name:  "web",
			Count: count,
			Tasks: []*structs.Task{{
				Name: "server", Driver: "exec",
				Resources: &structs.Resources{CPU: 500, MemoryMB: 256},
			}},
		}},
	}
	job.Canonicalize()
	return job
}

func testEval(job *structs.Job) *structs.Evaluation {
	return &structs.Evaluation{
		ID: structs.GenerateID(), Namespace: job.Namespace, Priority: job.Priority,
		Type: job.Type, TriggeredBy: structs.EvalTriggerJobRegister, JobID: job.ID,
		Status: structs.EvalStatusPending,
	}
}

// testAlloc is a running allocation of job's group "web" at index idx.
func testAlloc(job *structs.Job, idx int, node *structs.Node) *structs.Allocation {
	tg := job.Groups[0]
	return &structs.Allocation{
		ID: structs.GenerateID(), Namespace: job.Namespace, EvalID: "seed",
		Name: structs.AllocName(job.ID, tg.Name, idx), NodeID: node.ID, NodeName: node.Name,
		JobID: job.ID, JobVersion: job.Version, TaskGroup: tg.Name,
		Resources:     tg.Resources(),
		DesiredStatus: structs.AllocDesiredRun, ClientStatus: structs.AllocClientRunning,
	}
}

// process runs one evaluation and returns the evaluation as updated.
func process(t *testing.T, h *Harness, eval *structs.Evaluation) *structs.Evaluation {
	t.Helper()
	before := len(h.Evals)
	if err := h.Process(eval); err != nil {
		t.Fatalf("Process: %v", err)
	}
	if len(h.Evals) != before+1 {
		t.Fatalf("UpdateEval called %d times, want 1", len(h.Evals)-before)
	}
	got := h.Evals[len(h.Evals)-1]
	if got.ID != eval.ID {
		t.Fatalf("updated eval %s, want %s", got.ID, eval.ID)
	}
	return got
}

// liveAllocs returns the job's non-terminal allocations sorted by name.
func liveAllocs(t *testing.T, h *Harness, job *structs.Job) []*structs.Allocation {
	t.Helper()
	all, err := h.AllocsByJob(job.Namespace, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []*structs.Allocation
	for _, a := range all {
		if !a.TerminalStatus() {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b *structs.Allocation) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func allocNames(allocs []*structs.Allocation) []string {
	out := make([]string, len(allocs))
	for i, a := range allocs {
		out[i] = a.Name
	}
	slices.Sort(out)
	return out
}

// planAllocs flattens a plan's placements or stops.
func planAllocs(m map[string][]*structs.Allocation) []*structs.Allocation {
	var out []*structs.Allocation
	for _, as := range m {
		out = append(out, as...)
	}
	slices.SortFunc(out, func(a, b *structs.Allocation) int { return strings.Compare(a.Name+a.ID, b.Name+b.ID) })
	return out
}

func wantNames(job *structs.Job, idx ...int) []string {
	out := make([]string, len(idx))
	for i, n := range idx {
		out[i] = structs.AllocName(job.ID, "web", n)
	}
	slices.Sort(out)
	return out
}
