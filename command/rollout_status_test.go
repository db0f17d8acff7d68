package command

import (
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// job status shows a failed update and the next reschedule; alloc status
// shows the reschedule history and when the failed allocation is replaced.
func TestJobAndAllocStatusShowRolloutAndReschedule(t *testing.T) {
	f, ui := newFakeCluster(t)
	if code, _, _ := runCmd(ui, "job", "run", "-detach", writeFile(t, "job.json", goodJobJSON)); code != 0 {
		t.Fatal("run failed")
	}
	next := time.Now().Add(time.Minute).UnixNano()
	var failed *structs.Allocation
	f.write(func(uint64) {
		job := f.jobs["hello"].Copy()
		job.UpdateFailure = "update to version 1 failed: allocation hello.web[0] is unhealthy: not healthy within healthy_deadline 5m; reverting to stable version 0"
		f.jobs["hello"] = job
		f.evals["delayed"] = &structs.Evaluation{ID: "delayed", JobID: "hello", Status: structs.EvalStatusPending,
			TriggeredBy: structs.EvalTriggerReschedule, WaitUntil: next}
		for _, a := range f.allocs {
			failed = a.Copy()
			break
		}
		failed.ClientStatus = structs.AllocClientFailed
		failed.PreviousAllocation = "0123456789abcdef"
		failed.RescheduleTracker = &structs.RescheduleTracker{Events: []*structs.RescheduleEvent{
			{RescheduleTime: time.Now().UnixNano(), PrevAllocID: "0123456789abcdef", PrevNodeID: "node-0", Delay: structs.Duration(30 * time.Second)}}}
		f.allocs[failed.ID] = failed
	})

	code, out, _ := runCmd(ui, "job", "status", "hello")
	if code != 0 {
		t.Fatalf("job status: exit %d", code)
	}
	for _, want := range []string{"Stable", "not healthy within healthy_deadline 5m; reverting to stable version 0",
		"Next Reschedule", formatTime(next)} {
		if !strings.Contains(out, want) {
			t.Errorf("job status lacks %q:\n%s", want, out)
		}
	}

	ui.OutputWriter.Reset()
	code, out, _ = runCmd(ui, "alloc", "status", failed.ID)
	if code != 0 {
		t.Fatalf("alloc status: exit %d", code)
	}
	for _, want := range []string{"Previous Allocation", "Reschedule Attempts", "1 (last at", "after 30s", "Next Reschedule", formatTime(next)} {
		if !strings.Contains(out, want) {
			t.Errorf("alloc status lacks %q:\n%s", want, out)
		}
	}
}
