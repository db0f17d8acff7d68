package taskrunner

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// State returns a copy of the task's current state.
func (tr *TaskRunner) State() *structs.TaskState {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.state.Copy()
}

// update changes the state under the lock, saves it and then tells the
// owner, outside the lock, so that the owner may call State() from the
// callback.
func (tr *TaskRunner) update(fn func(s *structs.TaskState)) {
	tr.mu.Lock()
	fn(tr.state)
	tr.mu.Unlock()
	tr.persist()
	if tr.onStateChange != nil {
		tr.onStateChange(tr.task.Name)
	}
}

// emit records an event without changing the state.
func (tr *TaskRunner) emit(ev *structs.TaskEvent) {
	tr.update(func(s *structs.TaskState) { s.AddEvent(ev) })
}

func newEvent(typ, msg string) *structs.TaskEvent {
	return &structs.TaskEvent{Type: typ, Time: time.Now().UnixNano(), Message: msg}
}

// setDead marks the task finished for good, with a last event (may be nil).
func (tr *TaskRunner) setDead(failed bool, ev *structs.TaskEvent) {
	tr.update(func(s *structs.TaskState) {
		s.State = structs.TaskStateDead
		s.Failed = s.Failed || failed
		s.FinishedAt = time.Now().UnixNano()
		if ev != nil {
			s.AddEvent(ev)
		}
	})
}

// setTerminated records how the process ended. Whether that fails the
// task is for the restart policy to say (see next and finish).
func (tr *TaskRunner) setTerminated(res *drivers.ExitResult) {
	tr.countExit(res)
	ev := newEvent(structs.TaskEventTerminated, exitMessage(res))
	code := res.ExitCode
	ev.ExitCode = &code
	ev.Signal = res.Signal
	ev.Error = res.Err
	tr.update(func(s *structs.TaskState) {
		c := code
		s.ExitCode = &c
		s.FinishedAt = time.Now().UnixNano()
		s.AddEvent(ev)
	})
}

func exitMessage(res *drivers.ExitResult) string {
	msg := fmt.Sprintf("Exit Code: %d", res.ExitCode)
	if res.Signal != 0 {
		msg += fmt.Sprintf(", Signal: %d", res.Signal)
	}
	if res.OOMKilled {
		msg += ", OOM Killed"
	}
	if res.Err != "" {
		msg += ", Error: " + res.Err
	}
	return msg
}
