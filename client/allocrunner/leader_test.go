package allocrunner

import (
	"reflect"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// leaderStop stops every other task that still runs or waits once the
// leader is dead, and leaves poststop tasks to their turn.
func TestLeaderStop(t *testing.T) {
	leader := lcTask("main", "", false)
	leader.Leader = true
	l := newLifecycle([]*structs.Task{
		lcTask("proxy", structs.LifecycleHookPrestart, true), leader, lcTask("main2", "", false),
		lcTask("announce", structs.LifecycleHookPoststart, false), lcTask("cleanup", structs.LifecycleHookPoststop, false),
	})
	running := states{"proxy": stRunning, "main": stRunning, "main2": stRunning, "announce": stPending, "cleanup": stPending}
	if got := l.leaderStop(running); got != nil {
		t.Fatalf("leader runs: stop %v, want none", got)
	}
	done := states{"proxy": stRunning, "main": stCompleted, "main2": stRunning, "announce": stCompleted, "cleanup": stPending}
	if got, want := l.leaderStop(done), []string{"main2", "proxy"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("leader done: stop %v, want %v", got, want)
	}
	// A failed leader stops the others too.
	failed := states{"proxy": stRunning, "main": stFailed, "main2": stRunning, "announce": stPending, "cleanup": stPending}
	if got, want := l.leaderStop(failed), []string{"announce", "main2", "proxy"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("leader failed: stop %v, want %v", got, want)
	}
	// Without a leader nothing is stopped this way.
	if got := newLifecycle([]*structs.Task{lcTask("a", "", false)}).leaderStop(states{"a": stCompleted}); got != nil {
		t.Fatalf("no leader: stop %v", got)
	}
}

// With real processes: in a plain batch group, the leader exits
// successfully and the other task, which would sleep for ten minutes,
// is stopped; the allocation completes and nothing failed.
func TestLeaderRun_StopsOthers(t *testing.T) {
	leader := shTask("leader", appendOrderScript("leader"))
	leader.Leader = true
	other := shTask("other", "exec sleep 600")
	ar := startLifecycleRunner(t, structs.JobTypeBatch, leader, other)
	waitDone(t, ar)
	a := ar.Alloc()
	if a.ClientStatus != structs.AllocClientComplete {
		t.Fatalf("status %q (%s), want complete; tasks %+v", a.ClientStatus, a.ClientDescription, a.TaskStates)
	}
	if s := a.TaskStates["other"]; s.State != structs.TaskStateDead || s.Failed {
		t.Fatalf("other: %+v, want stopped and not failed", s)
	}
	found := false
	for _, e := range a.TaskStates["other"].Events {
		if (e.Type == structs.TaskEventKilling || e.Type == structs.TaskEventKilled) &&
			strings.Contains(e.Message, `leader task "leader" has finished`) {
			found = true
		}
	}
	if !found {
		t.Errorf("other has no kill event naming the leader: %+v", a.TaskStates["other"].Events)
	}
}
