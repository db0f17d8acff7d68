package allocrunner

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/state"
	"github.com/appmesh/appmesh/drivers/rawexec"
	"github.com/appmesh/appmesh/internal/testutil"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// startLifecycleRunner runs a one-group job of the given type with real
// raw_exec tasks; quick restarts keep the tests short.
func startLifecycleRunner(t *testing.T, jobType string, tasks ...*structs.Task) *AllocRunner {
	t.Helper()
	attempts := 2
	job := &structs.Job{ID: "job", Type: jobType, Groups: []*structs.TaskGroup{{Name: "g", Count: 1, Tasks: tasks,
		Restart: &structs.RestartPolicy{Attempts: &attempts, Interval: structs.Duration(time.Hour),
			Delay: structs.Duration(50 * time.Millisecond), Mode: structs.RestartModeFail}}}}
	alloc := &structs.Allocation{ID: structs.GenerateID(), JobID: "job", TaskGroup: "g", DesiredStatus: structs.AllocDesiredRun}
	ar, err := New(&Config{
		Alloc: alloc, Job: job, DataDir: t.TempDir(),
		Drivers: oneDriver{rawexec.New(hclog.NewNullLogger())},
	})
	if err != nil {
		t.Fatal(err)
	}
	go ar.Run()
	t.Cleanup(ar.Destroy)
	return ar
}

func withLifecycle(task *structs.Task, hook string, sidecar bool) *structs.Task {
	task.Lifecycle = &structs.TaskLifecycle{Hook: hook, Sidecar: sidecar}
	return task
}

func waitDone(t *testing.T, ar *AllocRunner) {
	t.Helper()
	select {
	case <-ar.WaitCh():
	case <-time.After(90 * time.Second):
		t.Fatalf("allocation did not end; tasks %+v", ar.Alloc().TaskStates)
	}
}

func readOrder(t *testing.T, ar *AllocRunner) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ar.AllocDir().SharedDir, "order.log"))
	if err != nil {
		t.Fatalf("order.log: %v", err)
	}
	return strings.Fields(string(b))
}

// waitFor polls cond on the allocation until it holds; a failure shows the
// allocation's last status and task states.
func waitFor(t *testing.T, ar *AllocRunner, what string, cond func(*structs.Allocation) bool) {
	t.Helper()
	testutil.WaitForState(t, what, func() (bool, string) {
		a := ar.Alloc()
		return cond(a), fmt.Sprintf("status %q, tasks %+v", a.ClientStatus, a.TaskStates)
	})
}

const appendOrder = `echo "$1" >> "$APPMESH_ALLOC_DIR/alloc/order.log"`

// A batch job: the prestart task fails once and is restarted by the
// policy, then writes a file the main task reads; the prestart sidecar
// runs alongside; the poststart task runs once the main task runs; the
// poststop task runs after it; the sidecar is stopped (not failed) and the
// allocation completes.
func TestLifecycleRun_BatchOrder(t *testing.T) {
	init := withLifecycle(shTask("init", `f() { `+appendOrder+`; }
if [ ! -f "$APPMESH_ALLOC_DIR/alloc/init-tried" ]; then touch "$APPMESH_ALLOC_DIR/alloc/init-tried"; f init-failed; exit 3; fi
echo config-from-init > "$APPMESH_ALLOC_DIR/alloc/config"; f init`), structs.LifecycleHookPrestart, false)
	proxy := withLifecycle(shTask("proxy", `f() { `+appendOrder+`; }; f proxy; exec sleep 600`), structs.LifecycleHookPrestart, true)
	// The main task runs until the poststart task has written its line, so
	// the log shows poststart while main runs.
	main := shTask("main", `f() { `+appendOrder+`; }
f "main:$(cat "$APPMESH_ALLOC_DIR/alloc/config")"
i=0; while ! grep -q poststart "$APPMESH_ALLOC_DIR/alloc/order.log"; do i=$((i+1)); [ $i -gt 600 ] && exit 9; sleep 0.1; done
f main-done`)
	post := withLifecycle(shTask("post", `f() { `+appendOrder+`; }; f poststart`), structs.LifecycleHookPoststart, false)
	stop := withLifecycle(shTask("cleanup", `f() { `+appendOrder+`; }; f poststop`), structs.LifecycleHookPoststop, false)
	ar := startLifecycleRunner(t, structs.JobTypeBatch, init, proxy, main, post, stop)
	waitDone(t, ar)

	a := ar.Alloc()
	if a.ClientStatus != structs.AllocClientComplete {
		t.Fatalf("status %q (%s), want complete; tasks %+v", a.ClientStatus, a.ClientDescription, a.TaskStates)
	}
	order := readOrder(t, ar)
	pos := map[string]int{}
	for i, line := range order {
		pos[line] = i
	}
	for _, before := range [][2]string{
		{"init-failed", "init"}, {"init", "main:config-from-init"},
		{"poststart", "main-done"}, {"main-done", "poststop"},
	} {
		a, okA := pos[before[0]]
		b, okB := pos[before[1]]
		if !okA || !okB || a >= b {
			t.Errorf("want %q before %q in order.log %v", before[0], before[1], order)
		}
	}
	if len(order) != 7 {
		t.Errorf("order.log has %d lines, want 7 (each task once, init twice): %v", len(order), order)
	}
	ts := a.TaskStates
	// A task's start is its process's start, not its first line in the
	// log, so the sidecar and poststart order is read from the states.
	if ts["main"].StartedAt < ts["proxy"].StartedAt || ts["post"].StartedAt < ts["main"].StartedAt {
		t.Errorf("started at: proxy %d, main %d, poststart %d; want that order",
			ts["proxy"].StartedAt, ts["main"].StartedAt, ts["post"].StartedAt)
	}
	if ts["init"].Restarts != 1 || ts["init"].Failed {
		t.Errorf("init: %+v, want one restart by the policy and success", ts["init"])
	}
	if ts["proxy"].State != structs.TaskStateDead || ts["proxy"].Failed {
		t.Errorf("sidecar: %+v, want stopped and not failed", ts["proxy"])
	}
}

// A prestart task that fails for good fails the allocation: the main and
// poststart tasks never start, the sidecar is stopped, poststop runs.
func TestLifecycleRun_PrestartFailsForGood(t *testing.T) {
	init := withLifecycle(shTask("init", appendOrderScript("init")+"; exit 1"), structs.LifecycleHookPrestart, false)
	proxy := withLifecycle(shTask("proxy", "exec sleep 600"), structs.LifecycleHookPrestart, true)
	main := shTask("main", appendOrderScript("main"))
	post := withLifecycle(shTask("post", appendOrderScript("poststart")), structs.LifecycleHookPoststart, true)
	stop := withLifecycle(shTask("cleanup", appendOrderScript("poststop")), structs.LifecycleHookPoststop, false)
	ar := startLifecycleRunner(t, structs.JobTypeService, init, proxy, main, post, stop)
	waitDone(t, ar)

	a := ar.Alloc()
	if a.ClientStatus != structs.AllocClientFailed || !strings.Contains(a.ClientDescription, "init") {
		t.Fatalf("status %q (%s), want failed naming init", a.ClientStatus, a.ClientDescription)
	}
	for _, name := range []string{"main", "post"} {
		if s := a.TaskStates[name]; s.Starts != 0 || s.State != structs.TaskStateDead {
			t.Errorf("%s: %+v, want dead and never started", name, s)
		}
	}
	if got := strings.Join(readOrder(t, ar), " "); got != "init init init poststop" {
		t.Errorf("order.log = %q, want three tries of init (2 restarts) then poststop", got)
	}
}

func appendOrderScript(line string) string {
	return `echo ` + line + ` >> "$APPMESH_ALLOC_DIR/alloc/order.log"`
}

// A service job: when a main task restarts, the completed prestart task
// does not run again; stopping the allocation stops the sidecar and the
// main task, then runs the poststop task, and the allocation completes.
func TestLifecycleRun_ServiceRestartAndStop(t *testing.T) {
	init := withLifecycle(shTask("init", appendOrderScript("init")), structs.LifecycleHookPrestart, false)
	proxy := withLifecycle(shTask("proxy", "exec sleep 600"), structs.LifecycleHookPrestart, true)
	// The first run exits cleanly, which a service's restart policy restarts.
	main := shTask("main", appendOrderScript("main")+`
if [ ! -f "$APPMESH_ALLOC_DIR/alloc/main-once" ]; then touch "$APPMESH_ALLOC_DIR/alloc/main-once"; exit 0; fi
exec sleep 600`)
	stop := withLifecycle(shTask("cleanup", appendOrderScript("poststop")), structs.LifecycleHookPoststop, false)
	ar := startLifecycleRunner(t, structs.JobTypeService, init, proxy, main, stop)

	waitFor(t, ar, "the main task running after its restart", func(a *structs.Allocation) bool {
		s := a.TaskStates["main"]
		return a.ClientStatus == structs.AllocClientRunning && s.Restarts == 1 && s.State == structs.TaskStateRunning
	})
	// "Running" means the driver started the shell, not that the shell has
	// written its line yet: a stop sent now could kill the second run
	// before it does (this failed about half the time on a loaded machine).
	testutil.WaitForState(t, "the restarted main task's line in order.log", func() (bool, string) {
		b, _ := os.ReadFile(filepath.Join(ar.AllocDir().SharedDir, "order.log"))
		return strings.Join(strings.Fields(string(b)), " ") == "init main main", string(b)
	})
	a := ar.Alloc()
	if s := a.TaskStates["init"]; s.Starts != 1 || s.State != structs.TaskStateDead || s.Failed {
		t.Fatalf("init: %+v, want started once and completed", s)
	}
	if s := a.TaskStates["cleanup"]; s.State != structs.TaskStatePending || !hasEvent(s, TaskEventLifecycleWait, "Waiting for the main tasks to stop") {
		t.Fatalf("poststop task %+v, want pending while the main task runs, with an event saying so", s)
	}
	if err := ar.Restart("cleanup", "test"); err == nil || !strings.Contains(err.Error(), "has not started yet") {
		t.Fatalf("restart of a waiting poststop task: err = %v", err)
	}

	stopped := ar.Alloc()
	stopped.DesiredStatus = structs.AllocDesiredStop
	stopped.AllocModifyIndex++
	ar.Update(stopped)
	waitDone(t, ar)
	a = ar.Alloc()
	if a.ClientStatus != structs.AllocClientComplete {
		t.Fatalf("status %q (%s), want complete; tasks %+v", a.ClientStatus, a.ClientDescription, a.TaskStates)
	}
	if got := strings.Join(readOrder(t, ar), " "); got != "init main main poststop" {
		t.Errorf("order.log = %q, want init once, main twice, then poststop", got)
	}
}

// An agent that restarts after the prestart task completed but before the
// main task started (its state left pending) starts the main task without
// running the prestart task again.
func TestLifecycleRun_RestoredAfterPrestart(t *testing.T) {
	init := withLifecycle(shTask("init", appendOrderScript("init")), structs.LifecycleHookPrestart, false)
	main := shTask("main", appendOrderScript("main"))
	job := &structs.Job{ID: "job", Type: structs.JobTypeBatch, Groups: []*structs.TaskGroup{{Name: "g", Count: 1, Tasks: []*structs.Task{init, main}}}}
	alloc := &structs.Allocation{ID: structs.GenerateID(), JobID: "job", TaskGroup: "g", DesiredStatus: structs.AllocDesiredRun}
	code := 0
	restore := &state.RestoredAlloc{Tasks: map[string]*state.TaskRecord{
		"init": {State: &structs.TaskState{State: structs.TaskStateDead, Starts: 1, ExitCode: &code}},
		"main": {State: &structs.TaskState{State: structs.TaskStatePending}},
	}}
	ar, err := New(&Config{Alloc: alloc, Job: job, DataDir: t.TempDir(), Restore: restore,
		Drivers: oneDriver{rawexec.New(hclog.NewNullLogger())}})
	if err != nil {
		t.Fatal(err)
	}
	go ar.Run()
	t.Cleanup(ar.Destroy)
	waitDone(t, ar)
	if a := ar.Alloc(); a.ClientStatus != structs.AllocClientComplete || a.TaskStates["init"].Starts != 1 {
		t.Fatalf("status %q, tasks %+v; want complete with init started once", a.ClientStatus, a.TaskStates)
	}
	if got := strings.Join(readOrder(t, ar), " "); got != "main" {
		t.Fatalf("order.log = %q, want only main (init is not run again)", got)
	}
}

func hasEvent(s *structs.TaskState, typ, msg string) bool {
	for _, e := range s.Events {
		if e.Type == typ && e.Message == msg {
			return true
		}
	}
	return false
}
