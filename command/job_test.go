package command

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

func TestJobRunDetach(t *testing.T) {
	f, ui := newFakeCluster(t)
	path := writeFile(t, "job.json", goodJobJSON)
	code, out, stderr := runCmd(ui, "job", "run", "-detach", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f.locked(func() {
		var evalID string
		for id := range f.evals {
			evalID = id
		}
		if evalID == "" || !strings.Contains(out, "Evaluation ID: "+evalID) {
			t.Fatalf("output %q does not name the evaluation %q", out, evalID)
		}
		if job := f.jobs["hello"]; job == nil || job.Namespace != structs.DefaultNamespace {
			t.Fatalf("job not registered canonicalized: %+v", job)
		}
		if f.lastRegister.EnforceIndex {
			t.Error("index enforced without -check-index")
		}
	})
}

func TestJobRunInvalidSubmitsNothing(t *testing.T) {
	f, ui := newFakeCluster(t)
	code, _, stderr := runCmd(ui, "job", "run", writeFile(t, "bad.json", invalidJobJSON))
	if code != 1 || !strings.Contains(stderr, "driver is required") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	f.locked(func() {
		if len(f.jobs) != 0 {
			t.Fatal("an invalid job was submitted")
		}
	})
}

func TestJobRunJSONWithCheckIndex(t *testing.T) {
	f, ui := newFakeCluster(t)
	path := writeFile(t, "job.json", goodJobJSON)
	code, out, _ := runCmd(ui, "job", "run", "-json", "-check-index", "0", path)
	if code != 0 || !strings.Contains(out, `"eval_id"`) {
		t.Fatalf("exit %d output %q", code, out)
	}
	f.locked(func() {
		if r := f.lastRegister; !r.EnforceIndex || r.JobModifyIndex != 0 {
			t.Errorf("-check-index 0 not sent: %+v", r)
		}
	})
}

// TestJobRunMonitor places allocations as pending and lets the "client"
// start them a moment later; the monitor must wait for it via blocking
// queries and report each allocation.
func TestJobRunMonitor(t *testing.T) {
	f, ui := newFakeCluster(t)
	f.schedule = func(job *structs.Job, evalID string) (*structs.Evaluation, []*structs.Allocation) {
		eval, allocs := f.placeRunning(job, evalID)
		for _, a := range allocs {
			a.ClientStatus = structs.AllocClientPending
		}
		go func() {
			time.Sleep(100 * time.Millisecond)
			f.setAllocStatus(job.ID, structs.AllocClientRunning)
		}()
		return eval, allocs
	}
	code, out, stderr := runCmd(ui, "job", "run", "-timeout", "10s", writeFile(t, "job.json", goodJobJSON))
	if code != 0 {
		t.Fatalf("exit %d; stdout %s; stderr %s", code, out, stderr)
	}
	for _, want := range []string{`created: node "node1", group "web", status "pending"`,
		`status changed: "pending" -> "running"`, "2 allocation(s) placed and running"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestJobRunPlacementFailure(t *testing.T) {
	f, ui := newFakeCluster(t)
	f.schedule = func(job *structs.Job, evalID string) (*structs.Evaluation, []*structs.Allocation) {
		return &structs.Evaluation{ID: evalID, JobID: job.ID, Status: structs.EvalStatusComplete,
			BlockedEval: "blocked-1", QueuedAllocations: map[string]int{"web": 2},
			FailedTGAllocs: map[string]*structs.AllocMetric{"web": {
				NodesEvaluated: 3, NodesFiltered: 2, NodesExhausted: 1, CoalescedFailures: 1,
				ConstraintFiltered: map[string]int{"${attr.os} = windows": 2},
				DimensionExhausted: map[string]int{"memory": 1},
			}}}, nil
	}
	code, _, stderr := runCmd(ui, "job", "run", writeFile(t, "job.json", goodJobJSON))
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, stderr)
	}
	for _, want := range []string{`group "web": 0/2 placed: memory exhausted on 1 node(s)`,
		`constraint "${attr.os} = windows" filtered 2 node(s)`, "queued"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestJobRunTimeout(t *testing.T) {
	f, ui := newFakeCluster(t)
	f.schedule = func(job *structs.Job, evalID string) (*structs.Evaluation, []*structs.Allocation) {
		return &structs.Evaluation{ID: evalID, JobID: job.ID, Status: structs.EvalStatusPending}, nil
	}
	code, _, stderr := runCmd(ui, "job", "run", "-timeout", "300ms", writeFile(t, "job.json", goodJobJSON))
	if code != 1 || !strings.Contains(stderr, "Timed out after 300ms") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestJobStatus(t *testing.T) {
	_, ui := newFakeCluster(t)
	if code, out, _ := runCmd(ui, "job", "status"); code != 0 || !strings.Contains(out, "No jobs") {
		t.Fatalf("empty list: exit %d %q", code, out)
	}
	if code, _, _ := runCmd(ui, "job", "run", "-detach", writeFile(t, "job.json", goodJobJSON)); code != 0 {
		t.Fatal("run failed")
	}

	ui.OutputWriter.Reset()
	code, out, _ := runCmd(ui, "job", "status")
	lines := strings.Split(out, "\n")
	if code != 0 || len(lines) < 2 || !strings.HasPrefix(lines[0], "ID") ||
		!strings.Contains(lines[0], "Status") || !strings.HasPrefix(lines[1], "hello") || !strings.Contains(lines[1], "running") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}

	ui.OutputWriter.Reset()
	code, out, _ = runCmd(ui, "job", "status", "hel")
	if code != 0 {
		t.Fatalf("detail: exit %d", code)
	}
	for _, want := range []string{"ID          = hello", "Summary", "Allocations", "node1", "run"} {
		if !strings.Contains(out, want) {
			t.Errorf("detail lacks %q:\n%s", want, out)
		}
	}

	ui.OutputWriter.Reset()
	code, out, _ = runCmd(ui, "job", "status", "-json", "hello")
	var parsed jobStatusJSON
	if code != 0 || json.Unmarshal([]byte(out), &parsed) != nil || len(parsed.Allocations) != 2 {
		t.Fatalf("json: exit %d\n%s", code, out)
	}
	if code, _, stderr := runCmd(ui, "job", "status", "nope"); code != 1 || !strings.Contains(stderr, `No job with ID or prefix "nope"`) {
		t.Fatalf("missing job: exit %d %q", code, stderr)
	}
}

func TestJobStopAndInspect(t *testing.T) {
	f, ui := newFakeCluster(t)
	if code, _, _ := runCmd(ui, "job", "run", "-detach", writeFile(t, "job.json", goodJobJSON)); code != 0 {
		t.Fatal("run failed")
	}
	ui.OutputWriter.Reset()
	code, out, _ := runCmd(ui, "job", "inspect", "hello")
	var wrapped struct{ Job *structs.Job }
	if code != 0 || json.Unmarshal([]byte(out), &wrapped) != nil || wrapped.Job == nil || wrapped.Job.ID != "hello" {
		t.Fatalf("inspect: exit %d\n%s", code, out)
	}

	go func() {
		time.Sleep(100 * time.Millisecond)
		f.setAllocStatus("hello", structs.AllocClientComplete)
	}()
	ui.OutputWriter.Reset()
	code, out, stderr := runCmd(ui, "job", "stop", "-timeout", "10s", "hello")
	if code != 0 || !strings.Contains(out, `Job "hello" stopped: 2 allocation(s) stopped`) {
		t.Fatalf("stop: exit %d\n%s\n%s", code, out, stderr)
	}
	if code, _, stderr := runCmd(ui, "job", "stop", "nope"); code != 1 || !strings.Contains(stderr, "not found") {
		t.Fatalf("stop missing: exit %d %q", code, stderr)
	}
}
