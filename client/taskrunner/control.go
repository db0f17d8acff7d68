package taskrunner

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// EventSignaling is the event of a signal sent on a user's request.
const EventSignaling = "Signaling"

// running returns the driver of the running task, or an error naming the
// task's state.
func (tr *TaskRunner) running() (drivers.Driver, error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.driver == nil || tr.handle == nil || tr.state.State != structs.TaskStateRunning {
		return nil, fmt.Errorf("task %q is not running (state %s)", tr.task.Name, tr.state.State)
	}
	return tr.driver, nil
}

// Signal sends a signal (by name, e.g. "SIGHUP") to the running task.
func (tr *TaskRunner) Signal(sig string) error {
	drv, err := tr.running()
	if err != nil {
		return err
	}
	if err := drv.SignalTask(tr.TaskID(), sig); err != nil {
		return fmt.Errorf("signal task %q: %w", tr.task.Name, err)
	}
	tr.emit(newEvent(EventSignaling, "Task being sent signal "+sig))
	return nil
}

// Restart stops the running task and starts it again at once, outside the
// restart policy (the restart is not counted against its attempts). A task
// waiting to restart skips the rest of its delay.
func (tr *TaskRunner) Restart(reason string) error {
	tr.mu.Lock()
	st := tr.state.State
	tr.mu.Unlock()
	if st == structs.TaskStateDead {
		return fmt.Errorf("task %q is dead and cannot be restarted", tr.task.Name)
	}
	select {
	case tr.restartCh <- reason:
	default: // a restart is already on its way
	}
	return nil
}

// Exec runs cmd in the running task's context and returns its output.
func (tr *TaskRunner) Exec(cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
	if len(cmd) == 0 {
		return nil, fmt.Errorf("invalid: no command to run")
	}
	drv, err := tr.running()
	if err != nil {
		return nil, err
	}
	res, err := drv.ExecTask(tr.TaskID(), cmd, timeout)
	if err != nil {
		return nil, fmt.Errorf("exec in task %q: %w", tr.task.Name, err)
	}
	return res, nil
}

// Stats returns the running task's CPU and memory usage.
func (tr *TaskRunner) Stats() (*drivers.TaskResourceUsage, error) {
	drv, err := tr.running()
	if err != nil {
		return nil, err
	}
	u, err := drv.TaskStats(tr.TaskID())
	if err != nil {
		return nil, fmt.Errorf("stats of task %q: %w", tr.task.Name, err)
	}
	return u, nil
}
