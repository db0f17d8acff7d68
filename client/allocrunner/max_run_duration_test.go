package allocrunner

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/taskrunner"
	"github.com/appmesh/appmesh/structs"
)

func newLimitedRunner(t *testing.T, limit time.Duration, tasks ...*structs.Task) *AllocRunner {
	t.Helper()
	d := structs.Duration(limit)
	ar, _ := runWithJob(t, &structs.Job{ID: "job", Type: structs.JobTypeBatch, Groups: []*structs.TaskGroup{
		{Name: "g", Count: 1, Tasks: tasks, MaxRunDuration: &d}}})
	return ar
}

// A task outliving the group's max_run_duration is killed: the allocation
// ends complete (Nomad's outcome, so no reschedule) with Nomad's
// description, each task carries the event, and the process is gone.
func TestAllocRunner_MaxRunDurationKills(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	ar := newLimitedRunner(t, 2*time.Second,
		shTask("long", "echo $$ > "+pidFile+"; exec sleep 600"))
	start := time.Now()
	select {
	case <-ar.WaitCh():
	case <-time.After(60 * time.Second):
		t.Fatal("task not stopped by max_run_duration")
	}
	if took := time.Since(start); took < 2*time.Second {
		t.Fatalf("stopped after %s, before the 2s limit", took)
	}
	waitStatus(t, ar, structs.AllocClientComplete)
	a := ar.Alloc()
	if a.ClientDescription != structs.AllocDescMaxRunDuration {
		t.Fatalf("description %q", a.ClientDescription)
	}
	found := false
	for _, e := range a.TaskStates["long"].Events {
		found = found || e.Type == taskrunner.TaskEventMaxRunDuration
	}
	if !found {
		t.Fatalf("no %q event: %+v", taskrunner.TaskEventMaxRunDuration, a.TaskStates["long"].Events)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("task process %d still alive", pid)
	}
}

// A task finishing within the limit completes as usual.
func TestAllocRunner_MaxRunDurationNotReached(t *testing.T) {
	ar := newLimitedRunner(t, time.Minute, shTask("short", "exit 0"))
	select {
	case <-ar.WaitCh():
	case <-time.After(60 * time.Second):
		t.Fatal("task did not finish")
	}
	waitStatus(t, ar, structs.AllocClientComplete)
	a := ar.Alloc()
	if a.ClientDescription == structs.AllocDescMaxRunDuration {
		t.Fatalf("description %q without reaching the limit", a.ClientDescription)
	}
	for _, e := range a.TaskStates["short"].Events {
		if e.Type == taskrunner.TaskEventMaxRunDuration {
			t.Fatalf("unexpected event %+v", e)
		}
	}
}
