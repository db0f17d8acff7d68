package allocrunner

import (
	"sort"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// lifecycle is the ordering of a group's tasks by their lifecycle blocks,
// as a pure function of the task states (no I/O, no clock), so that every
// rule can be tested on hand-made states:
//
//   - prestart tasks start at once; the main tasks start when every
//     ephemeral prestart task has completed successfully and every prestart
//     sidecar runs;
//   - poststart tasks start once every main task has started;
//   - when every main task is dead, the sidecars (and poststart tasks that
//     never got to start) are stopped, and the poststop tasks start (after
//     the ephemeral prestart tasks too, in case the allocation was stopped
//     while they ran).
//
// A group without lifecycle blocks has only main tasks: everything starts
// at once and the client status is ClientStatus's, as before.
type lifecycle struct {
	hooks   map[string]string // task name → hook, "" for a main task
	sidecar map[string]bool
	plain   bool   // no task has a lifecycle block
	leader  string // the task whose end stops the others, "" for none
}

func newLifecycle(tasks []*structs.Task) *lifecycle {
	l := &lifecycle{hooks: map[string]string{}, sidecar: map[string]bool{}, plain: true}
	for _, t := range tasks {
		l.hooks[t.Name] = t.LifecycleHook()
		l.sidecar[t.Name] = t.IsSidecar()
		if t.Leader {
			l.leader = t.Name
		}
		if t.Lifecycle != nil {
			l.plain = false
		}
	}
	return l
}

// gated reports whether the task waits for its turn before it starts.
func (l *lifecycle) gated(task string) bool {
	return l.hooks[task] != structs.LifecycleHookPrestart && !l.plain
}

// mayStart reports whether the task's turn has come.
func (l *lifecycle) mayStart(task string, states map[string]*structs.TaskState) bool {
	switch l.hooks[task] {
	case structs.LifecycleHookPrestart:
		return true
	case "":
		return l.prestartDone(states)
	case structs.LifecycleHookPoststart:
		return l.every("", states, hasStarted)
	case structs.LifecycleHookPoststop:
		return l.mainDone(states) && l.ephemeralPrestartDead(states)
	}
	return false
}

// prestartDone: every ephemeral prestart task completed successfully and
// every prestart sidecar is up.
func (l *lifecycle) prestartDone(states map[string]*structs.TaskState) bool {
	for name, hook := range l.hooks {
		if hook != structs.LifecycleHookPrestart {
			continue
		}
		s := states[name]
		if l.sidecar[name] {
			if !sidecarUp(s) {
				return false
			}
		} else if !completed(s) {
			return false
		}
	}
	return true
}

// mainDone: every main task is dead, for whatever reason.
func (l *lifecycle) mainDone(states map[string]*structs.TaskState) bool {
	return l.every("", states, isDead)
}

func (l *lifecycle) ephemeralPrestartDead(states map[string]*structs.TaskState) bool {
	for name, hook := range l.hooks {
		if hook == structs.LifecycleHookPrestart && !l.sidecar[name] && !isDead(states[name]) {
			return false
		}
	}
	return true
}

// toStop returns, once every main task is dead, the tasks that would
// otherwise run on: the sidecars, and poststart tasks that have not
// started (their turn can no longer come). Sorted, for stable logs.
func (l *lifecycle) toStop(states map[string]*structs.TaskState) []string {
	if l.plain || !l.mainDone(states) {
		return nil
	}
	var out []string
	for name, hook := range l.hooks {
		s := states[name]
		if isDead(s) {
			continue
		}
		if l.sidecar[name] || (hook == structs.LifecycleHookPoststart && !hasStarted(s)) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// leaderStop returns, once the leader task is dead, the tasks that still
// run or wait (poststop tasks aside: they run after the main tasks, as
// when the allocation ends otherwise). Sorted, for stable logs.
func (l *lifecycle) leaderStop(states map[string]*structs.TaskState) []string {
	if l.leader == "" || !isDead(states[l.leader]) {
		return nil
	}
	var out []string
	for name, hook := range l.hooks {
		if name != l.leader && hook != structs.LifecycleHookPoststop && !isDead(states[name]) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// every reports whether pred holds for every task with the given hook.
func (l *lifecycle) every(hook string, states map[string]*structs.TaskState, pred func(*structs.TaskState) bool) bool {
	for name, h := range l.hooks {
		if h == hook && !pred(states[name]) {
			return false
		}
	}
	return true
}

// status is the allocation's client status: failed when any task failed
// for good; otherwise the main tasks decide (pending while they or the
// prestart tasks get ready, running while they run), and once they are
// done the allocation stays running until the last sidecar, poststart and
// poststop task has ended, then completes.
func (l *lifecycle) status(states map[string]*structs.TaskState) (status, description string) {
	if l.plain {
		return ClientStatus(states)
	}
	var failed []string
	for name, s := range states {
		if s != nil && s.Failed && s.State == structs.TaskStateDead {
			failed = append(failed, name)
		}
	}
	if len(failed) > 0 {
		sort.Strings(failed)
		return structs.AllocClientFailed, "Failed tasks: " + strings.Join(failed, ", ")
	}
	main := map[string]*structs.TaskState{}
	for name, hook := range l.hooks {
		if hook == "" {
			main[name] = states[name]
		}
	}
	st, desc := ClientStatus(main)
	switch st {
	case structs.AllocClientPending:
		if !l.prestartDone(states) {
			return structs.AllocClientPending, "Prestart tasks are running"
		}
		return st, desc
	case structs.AllocClientComplete:
		for name := range l.hooks {
			if !isDead(states[name]) {
				return structs.AllocClientRunning, "Main tasks have completed; lifecycle tasks are finishing"
			}
		}
	}
	return st, desc
}

func isDead(s *structs.TaskState) bool { return s != nil && s.State == structs.TaskStateDead }

// hasStarted: the task runs or ran at least once.
func hasStarted(s *structs.TaskState) bool {
	return s != nil && (s.State == structs.TaskStateRunning || s.Starts > 0)
}

// completed: the task ran and ended for good without failing.
func completed(s *structs.TaskState) bool {
	return isDead(s) && !s.Failed && s.Starts > 0
}

// sidecarUp: the sidecar runs; one that already ended cleanly (a batch
// job's sidecar may) does not hold the main tasks back either.
func sidecarUp(s *structs.TaskState) bool {
	return s != nil && (s.State == structs.TaskStateRunning || completed(s))
}
