package taskrunner

// TaskEventUnhealthy is recorded on every task of an allocation that did
// not become healthy within its update's healthy_deadline.
const TaskEventUnhealthy = "Alloc Unhealthy"

// Emit records an event on the task's state and reports it like any state
// change. The alloc runner uses it for allocation-wide events (the
// healthy_deadline); it must not be called from the state-change callback.
func (tr *TaskRunner) Emit(typ, msg string) { tr.emit(newEvent(typ, msg)) }

// TaskEventMaxRunDuration is recorded on every task still alive when the
// group's max_run_duration is up, just before the task is killed.
const TaskEventMaxRunDuration = "Max Run Duration Exceeded"
