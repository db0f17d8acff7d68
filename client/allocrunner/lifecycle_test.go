package allocrunner

import (
	"reflect"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func lcTask(name, hook string, sidecar bool) *structs.Task {
	t := &structs.Task{Name: name}
	if hook != "" {
		t.Lifecycle = &structs.TaskLifecycle{Hook: hook, Sidecar: sidecar}
	}
	return t
}

var (
	stPending   = &structs.TaskState{State: structs.TaskStatePending}
	stRunning   = &structs.TaskState{State: structs.TaskStateRunning, Starts: 1}
	stRestart   = &structs.TaskState{State: structs.TaskStatePending, Starts: 1, Restarts: 1}
	stCompleted = &structs.TaskState{State: structs.TaskStateDead, Starts: 1}
	stFailed    = &structs.TaskState{State: structs.TaskStateDead, Starts: 1, Failed: true}
	stNeverRan  = &structs.TaskState{State: structs.TaskStateDead} // killed before it started
	// stKilled ran and was stopped by the client: dead, not failed.
	stKilled = &structs.TaskState{State: structs.TaskStateDead, Starts: 1}
)

// fullGroup has one task of each kind.
func fullGroup() *lifecycle {
	return newLifecycle([]*structs.Task{
		lcTask("init", structs.LifecycleHookPrestart, false),
		lcTask("proxy", structs.LifecycleHookPrestart, true),
		lcTask("main", "", false),
		lcTask("main2", "", false),
		lcTask("announce", structs.LifecycleHookPoststart, false),
		lcTask("logship", structs.LifecycleHookPoststart, true),
		lcTask("cleanup", structs.LifecycleHookPoststop, false),
	})
}

type states map[string]*structs.TaskState

// startable lists the gated tasks whose turn has come.
func startable(l *lifecycle, s states) []string {
	var out []string
	for _, name := range []string{"init", "proxy", "main", "main2", "announce", "logship", "cleanup"} {
		if _, known := l.hooks[name]; known && l.gated(name) && l.mayStart(name, s) {
			out = append(out, name)
		}
	}
	return out
}

// The ordering walks through an allocation's life step by step.
func TestLifecycleOrdering(t *testing.T) {
	l := fullGroup()
	if l.gated("init") || l.gated("proxy") || !l.gated("main") || !l.gated("cleanup") {
		t.Fatal("only non-prestart tasks wait at a gate")
	}
	steps := []struct {
		name   string
		s      states
		start  []string
		stop   []string
		status string
	}{
		{"all pending", states{}, nil, nil, structs.AllocClientPending},
		{"prestart running, sidecar up",
			states{"init": stRunning, "proxy": stRunning}, nil, nil, structs.AllocClientPending},
		{"prestart restarting after a failure",
			states{"init": stRestart, "proxy": stRunning}, nil, nil, structs.AllocClientPending},
		{"prestart done but sidecar not up",
			states{"init": stCompleted, "proxy": stPending}, nil, nil, structs.AllocClientPending},
		{"prestart done, sidecar up: mains may start",
			states{"init": stCompleted, "proxy": stRunning}, []string{"main", "main2"}, nil, structs.AllocClientPending},
		{"one main running: poststart waits for both",
			states{"init": stCompleted, "proxy": stRunning, "main": stRunning, "main2": stPending},
			[]string{"main", "main2"}, nil, structs.AllocClientPending},
		{"both mains running: poststart may start",
			states{"init": stCompleted, "proxy": stRunning, "main": stRunning, "main2": stRunning},
			[]string{"main", "main2", "announce", "logship"}, nil, structs.AllocClientRunning},
		{"a main restarting: poststart already had its turn (the gate stays open), prestart not re-run",
			states{"init": stCompleted, "proxy": stRunning, "main": stRestart, "main2": stRunning, "announce": stCompleted, "logship": stRunning},
			[]string{"main", "main2", "announce", "logship"}, nil, structs.AllocClientPending},
		{"one main done, one running: sidecars stay, no poststop",
			states{"init": stCompleted, "proxy": stRunning, "main": stCompleted, "main2": stRunning, "announce": stCompleted, "logship": stRunning},
			[]string{"main", "main2", "announce", "logship"}, nil, structs.AllocClientRunning},
		{"mains done: sidecars stop, poststop starts, alloc still running",
			states{"init": stCompleted, "proxy": stRunning, "main": stCompleted, "main2": stCompleted, "announce": stCompleted, "logship": stRunning, "cleanup": stPending},
			[]string{"main", "main2", "announce", "logship", "cleanup"}, []string{"logship", "proxy"}, structs.AllocClientRunning},
		{"sidecars stopped (killed is not failed), poststop running",
			states{"init": stCompleted, "proxy": stKilled, "main": stCompleted, "main2": stCompleted, "announce": stCompleted, "logship": stCompleted, "cleanup": stRunning},
			[]string{"main", "main2", "announce", "logship", "cleanup"}, nil, structs.AllocClientRunning},
		{"everything ended: complete",
			states{"init": stCompleted, "proxy": stCompleted, "main": stCompleted, "main2": stCompleted, "announce": stCompleted, "logship": stCompleted, "cleanup": stCompleted},
			[]string{"main", "main2", "announce", "logship", "cleanup"}, nil, structs.AllocClientComplete},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if got := startable(l, st.s); !reflect.DeepEqual(got, st.start) {
				t.Errorf("startable = %v, want %v", got, st.start)
			}
			if got := l.toStop(st.s); !reflect.DeepEqual(got, st.stop) {
				t.Errorf("toStop = %v, want %v", got, st.stop)
			}
			if got, desc := l.status(st.s); got != st.status || desc == "" {
				t.Errorf("status = %q (%s), want %q", got, desc, st.status)
			}
		})
	}
}

// A prestart task that fails for good fails the allocation; the main
// tasks never get their turn, and once they are dead (killed before they
// started) the poststop task runs and the never-started poststart task is
// stopped.
func TestLifecyclePrestartFails(t *testing.T) {
	l := fullGroup()
	s := states{"init": stFailed, "proxy": stRunning}
	if got, _ := l.status(s); got != structs.AllocClientFailed {
		t.Fatalf("status = %q, want failed", got)
	}
	if got := startable(l, s); got != nil {
		t.Fatalf("startable = %v, want none", got)
	}
	s = states{"init": stFailed, "proxy": stRunning, "main": stNeverRan, "main2": stNeverRan, "announce": stPending, "logship": stPending}
	if got := startable(l, s); !reflect.DeepEqual(got, []string{"cleanup"}) {
		t.Fatalf("startable = %v, want the poststop task", got)
	}
	if got := l.toStop(s); !reflect.DeepEqual(got, []string{"announce", "logship", "proxy"}) {
		t.Fatalf("toStop = %v", got)
	}
	if got, desc := l.status(s); got != structs.AllocClientFailed || desc != "Failed tasks: init" {
		t.Fatalf("status = %q (%s), want failed naming init", got, desc)
	}
}

// A stop while a prestart task runs: the poststop task waits for it too.
func TestLifecyclePoststopWaitsForPrestart(t *testing.T) {
	l := fullGroup()
	s := states{"init": stRunning, "proxy": stRunning, "main": stNeverRan, "main2": stNeverRan}
	if l.mayStart("cleanup", s) {
		t.Fatal("poststop started while a prestart task still runs")
	}
	s["init"] = stKilled
	if !l.mayStart("cleanup", s) {
		t.Fatal("poststop did not start once the prestart task was dead")
	}
}

// A batch job's sidecar that already ended cleanly does not hold back the
// main tasks; a sidecar that ended failed does.
func TestLifecycleSidecarEndedEarly(t *testing.T) {
	l := newLifecycle([]*structs.Task{lcTask("side", structs.LifecycleHookPrestart, true), lcTask("m", "", false)})
	if !l.mayStart("m", states{"side": stCompleted}) {
		t.Fatal("main held back by a sidecar that completed")
	}
	if l.mayStart("m", states{"side": stFailed}) {
		t.Fatal("main started after its sidecar failed")
	}
}

// A group without lifecycle blocks behaves as before: no gates, and the
// status is ClientStatus's.
func TestLifecyclePlainGroup(t *testing.T) {
	l := newLifecycle([]*structs.Task{lcTask("a", "", false), lcTask("b", "", false)})
	if !l.plain || l.gated("a") || l.toStop(states{"a": stCompleted, "b": stCompleted}) != nil {
		t.Fatal("a plain group has gates or stops tasks")
	}
	s := states{"a": stRunning, "b": stPending}
	got, desc := l.status(s)
	want, wantDesc := ClientStatus(s)
	if got != want || desc != wantDesc {
		t.Fatalf("status = %q (%s), want %q (%s)", got, desc, want, wantDesc)
	}
}

// A task an earlier agent already started has had its turn: no gate.
func TestLifecycleGatesOnRestore(t *testing.T) {
	tasks := []*structs.Task{lcTask("init", structs.LifecycleHookPrestart, false), lcTask("m", "", false), lcTask("post", structs.LifecycleHookPoststop, false)}
	l := newLifecycle(tasks)
	g := newGates(l, tasks, map[string]*structs.TaskState{"init": stCompleted, "m": stRunning, "post": stPending})
	if _, ok := g["init"]; ok {
		t.Error("prestart task got a gate")
	}
	if _, ok := g["m"]; ok {
		t.Error("a restored running main task got a gate")
	}
	if _, ok := g["post"]; !ok {
		t.Error("a poststop task that never ran has no gate")
	}
}
