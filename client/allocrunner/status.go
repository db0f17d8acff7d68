package allocrunner

import "github.com/appmesh/appmesh/structs"

// ClientStatus derives an allocation's client status from its task states:
// failed as soon as any task failed for good (dead and failed: a task that
// exited non-zero but has not finished its exit path, or will be restarted,
// is still running); pending until every task has started;
// running while any task runs; complete once all tasks finished cleanly.
// A missing (nil) state counts as pending.
func ClientStatus(states map[string]*structs.TaskState) (status, description string) {
	if len(states) == 0 {
		return structs.AllocClientPending, "No tasks have started"
	}
	var pending, running, waiting int
	for _, s := range states {
		if s != nil && s.NextStart > 0 && s.State == structs.TaskStatePending {
			waiting++
		}
		switch {
		case s == nil:
			pending++
		case s.Failed && s.State == structs.TaskStateDead:
			return structs.AllocClientFailed, "Failed tasks"
		case s.State == structs.TaskStatePending || s.State == "":
			pending++
		case s.State == structs.TaskStateRunning:
			running++
		}
	}
	switch {
	case pending > 0 && waiting == pending:
		return structs.AllocClientPending, "Waiting for the daily window"
	case pending > 0:
		return structs.AllocClientPending, "Tasks are starting"
	case running > 0:
		return structs.AllocClientRunning, "Tasks are running"
	}
	return structs.AllocClientComplete, "All tasks have completed"
}
