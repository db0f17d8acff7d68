package e2e

import (
	"fmt"
	"testing"
)

// An agent killed after the driver started a task but before it saved the
// task's handle (a fault hook kills it exactly there) must, once
// restarted, take over that task: one process, the same PID, no driver
// failure. Before the fix the new agent asked the surviving plugin to
// start the task again, got "already exists", and the task was lost to
// the agent while its process kept running.
func TestCrashAfterTaskStart(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{env: []string{"APPMESH_FAULT_KILL_AFTER_START=server"}})
	sec, marker := taskSleep(74)
	a.track(marker)
	// job run -detach returns once the job is registered; the agent dies
	// right after the task's start, so waiting on it would only fail.
	job := writeFile(t, "crash.hcl", serviceHCL("crash", 1, fmt.Sprintf("exec sleep %d", sec)))
	_ = a.cli("job run", "-detach", job)
	a.mu.Lock()
	exited := a.exited
	a.mu.Unlock()
	<-exited // the fault hook killed it

	var first []proc
	a.waitFor("the task started before the crash", func() (bool, string) {
		first = findProcs(marker)
		return len(first) == 1, describeProcs(first)
	})

	a.opts.env = nil
	a.archiveLog()
	if err := a.start(); err != nil {
		a.fatalf("agent did not start again: %v", err)
	}
	allocs := a.waitAllocs("crash", "the allocation to run under the new agent", func(as []alloc) (bool, string) {
		if len(as) != 1 || as[0].ClientStatus != "running" {
			return false, describeAllocs(as)
		}
		ts := as[0].TaskStates["server"]
		return ts != nil && ts.State == "running", describeAllocs(as)
	})
	ps := findProcs(marker)
	if len(ps) != 1 || ps[0].pid != first[0].pid {
		a.fatalf("task processes after the restart: %s; want only the one started before the crash (pid %d)",
			describeProcs(ps), first[0].pid)
	}
	for _, ev := range allocs[0].TaskStates["server"].Events {
		if ev.Type == "Driver Failure" {
			a.fatalf("driver failure after the restart: %s", ev.Message)
		}
	}
	// The task is the agent's again: stopping the job ends that process.
	if r := a.cli("job stop", "crash"); r.code != 0 {
		a.fatalf("job stop: %s", r)
	}
	a.waitFor("the task process to end with the job", func() (bool, string) {
		ps := findProcs(marker)
		return len(ps) == 0, describeProcs(ps)
	})
}
