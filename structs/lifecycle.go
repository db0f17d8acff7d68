package structs

import "strings"

// Lifecycle hooks: when a task runs relative to the group's main tasks.
const (
	// LifecycleHookPrestart tasks run before the main tasks start.
	LifecycleHookPrestart = "prestart"
	// LifecycleHookPoststart tasks start once every main task has started.
	LifecycleHookPoststart = "poststart"
	// LifecycleHookPoststop tasks run once the main tasks have stopped.
	LifecycleHookPoststop = "poststop"
)

// TaskLifecycle is a task's `lifecycle` block. A task without one is a
// main task of its group.
type TaskLifecycle struct {
	// Hook is prestart, poststart or poststop.
	Hook string `json:"hook"`
	// Sidecar keeps the task running alongside the main tasks (restarted
	// by the restart policy) until they finish; without it the task is
	// ephemeral: it runs once to a successful end.
	Sidecar bool `json:"sidecar,omitempty"`
}

// Copy returns a copy (nil for nil).
func (l *TaskLifecycle) Copy() *TaskLifecycle {
	if l == nil {
		return nil
	}
	c := *l
	return &c
}

// Validate checks the block; problems are relative to it.
func (l *TaskLifecycle) Validate() error {
	v := &ValidationError{}
	switch l.Hook {
	case LifecycleHookPrestart, LifecycleHookPoststart:
	case LifecycleHookPoststop:
		if l.Sidecar {
			// Nothing would be left to run alongside: poststop tasks
			// start after the main tasks are gone.
			v.Add("", "sidecar = true is not allowed with hook \"poststop\": a poststop task runs after the main tasks have stopped")
		}
	case "":
		v.Add("", "hook is required: use prestart, poststart or poststop")
	default:
		v.Add("", "hook %q is invalid: use prestart, poststart or poststop", l.Hook)
	}
	return v.ErrorOrNil()
}

// IsMain reports whether the task is a main task (no lifecycle block).
func (t *Task) IsMain() bool { return t.Lifecycle == nil }

// IsSidecar reports whether the task has a lifecycle block with sidecar.
func (t *Task) IsSidecar() bool { return t.Lifecycle != nil && t.Lifecycle.Sidecar }

// IsEphemeral reports whether the task is a lifecycle task that runs once
// to completion (prestart, poststart or poststop without sidecar): a
// successful exit ends it, whatever the job type.
func (t *Task) IsEphemeral() bool { return t.Lifecycle != nil && !t.Lifecycle.Sidecar }

// LifecycleHook is the task's hook, "" for a main task.
func (t *Task) LifecycleHook() string {
	if t.Lifecycle == nil {
		return ""
	}
	return t.Lifecycle.Hook
}

// validateLeader checks that at most one task of a group is its leader.
func validateLeader(v *ValidationError, tasks []*Task) {
	var leaders []string
	for _, t := range tasks {
		if t.Leader {
			leaders = append(leaders, t.Name)
		}
	}
	if len(leaders) > 1 {
		v.Add("", "only one task of a group may be its leader, found %d (%s)", len(leaders), strings.Join(leaders, ", "))
	}
}

// validateLifecycles checks the lifecycle tasks of a group as a whole: a
// group needs a main task, since every hook is placed relative to them.
func validateLifecycles(v *ValidationError, tasks []*Task) {
	var lifecycleTasks []string
	for _, t := range tasks {
		if t.IsMain() {
			return
		}
		lifecycleTasks = append(lifecycleTasks, t.Name)
	}
	if len(lifecycleTasks) == 0 {
		return
	}
	v.Add("", "every task has a lifecycle block (%s): a group needs at least one main task (a task without lifecycle) for prestart, poststart and poststop to run around",
		strings.Join(lifecycleTasks, ", "))
}
