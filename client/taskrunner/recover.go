package taskrunner

import (
	"errors"
	"fmt"

	"github.com/appmesh/appmesh/client/state"
	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// EventReattached is the event of a task a restarted agent re-attached to.
const EventReattached = "Re-attached"

// restoredDead reports a restored task that had already ended for good:
// there is nothing left to run.
func (tr *TaskRunner) restoredDead() bool {
	return tr.restore != nil && tr.restore.State != nil && tr.restore.State.State == structs.TaskStateDead
}

// recoverTask re-attaches to the task an earlier agent left running. ok
// means there is an outcome to handle: either the task runs again under
// this runner (kind and res come from waiting for it), or it died while
// the agent was away (res says how, kind is exitNatural). Without a
// restored running task, ok is false and Run starts the task.
func (tr *TaskRunner) recoverTask() (res *drivers.ExitResult, kind exitKind, ok bool) {
	r := tr.restore
	if r == nil || r.Handle == nil || r.State == nil || r.State.State != structs.TaskStateRunning {
		return nil, 0, false
	}
	drv, err := tr.dispenser.Dispense(tr.task.Driver)
	if err == nil {
		err = attach(drv, r.Handle)
	}
	if err != nil {
		tr.logger.Warn("task died while the agent was away", "error", err)
		return &drivers.ExitResult{ExitCode: -1, Err: fmt.Sprintf(
			"task exited while the agent was down and its exit code is lost (driver could not re-attach: %v)", err)}, exitNatural, true
	}
	tr.update(func(s *structs.TaskState) {
		tr.driver, tr.handle = drv, r.Handle
		s.AddEvent(newEvent(EventReattached, "Task re-attached after an agent restart"))
	})
	tr.logger.Info("re-attached to task", "pid", r.Handle.PID)
	tr.runReattached()
	res, kind = tr.waitOrKill()
	return res, kind, true
}

// attach makes drv know the task again. A plugin that survived the agent
// still knows it (running or exited, with its exit code); a new plugin
// recovers it from the handle, which works only while it still runs.
func attach(drv drivers.Driver, h *drivers.TaskHandle) error {
	if st, err := drv.InspectTask(h.ID); err == nil && st != nil {
		return nil
	} else if err != nil && !errors.Is(err, drivers.ErrTaskNotFound) {
		return fmt.Errorf("inspect task: %w", err)
	}
	if err := drv.RecoverTask(h); err != nil {
		return fmt.Errorf("recover task: %w", err)
	}
	return nil
}

// persist writes the task's handle and state. Writes are ordered: the
// snapshot is taken under persistMu, so the last write holds the latest
// state.
func (tr *TaskRunner) persist() {
	if tr.db == nil {
		return
	}
	tr.persistMu.Lock()
	defer tr.persistMu.Unlock()
	tr.mu.Lock()
	rec := &state.TaskRecord{Handle: tr.handle, State: tr.state.Copy()}
	tr.mu.Unlock()
	if err := tr.db.PutTask(tr.alloc.ID, tr.task.Name, rec); err != nil {
		tr.logger.Error("cannot save task state; a restarted agent may not re-attach to it", "error", err)
	}
}
