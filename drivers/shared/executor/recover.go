package executor

import (
	"encoding/json"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/appmesh/appmesh/drivers"
)

// errForeignExit is the exit error of a recovered task: only a process's
// parent can learn its exit status, and a recovered task's parent is gone.
const errForeignExit = "exit code unknown: process was not a child of this driver"

// Recover re-attaches to a task started earlier, by a previous instance of
// this plugin, from its handle. The process must still run. Recovering a task
// this executor already knows is a no-op.
func (e *Executor) Recover(h *drivers.TaskHandle) error {
	if h == nil || h.ID == "" {
		return fmt.Errorf("recover: handle has no task id")
	}
	st, err := handleState(h)
	if err != nil {
		return fmt.Errorf("task %s: recover: %w", h.ID, err)
	}
	if !processAlive(st.PID, st.StartTicks) {
		return fmt.Errorf("task %s: recover: process %d is no longer running", h.ID, st.PID)
	}
	e.mu.Lock()
	if _, ok := e.tasks[h.ID]; ok {
		e.mu.Unlock()
		return nil
	}
	cfg := h.Config
	if cfg == nil {
		cfg = &drivers.TaskConfig{ID: h.ID}
	}
	out, err := reopenOutputs(cfg)
	if err != nil {
		e.mu.Unlock()
		return fmt.Errorf("task %s: recover: output: %w", h.ID, err)
	}
	t := newTask(cfg, st.PID, st.StartTicks, nil, openPidWatcher(st.PID))
	t.id, t.pgid, t.startedAt, t.out = h.ID, st.PGID, h.StartedAt, out
	// The spec only serves ExecTask; a config that no longer resolves (the
	// binary was replaced) leaves exec with the defaults.
	t.spec, _ = buildLaunchSpec(cfg, e.configKeys())
	if st.NS {
		t.ns = &nsTask{stateDir: nsStateDir(e.nsBase, h.ID), childNSPid: st.NSPid}
	}
	e.tasks[h.ID] = t
	e.mu.Unlock()
	go e.watchForeign(t)
	e.logger.Info("task recovered", "task_id", h.ID, "pid", st.PID)
	return nil
}

// handleState reads the pid and group from the handle's driver state,
// falling back to the handle's PID for handles written without one.
func handleState(h *drivers.TaskHandle) (driverState, error) {
	var st driverState
	if len(h.DriverState) > 0 {
		if err := json.Unmarshal(h.DriverState, &st); err != nil {
			return st, fmt.Errorf("decoding driver state: %w", err)
		}
	}
	if st.PID == 0 {
		st.PID = h.PID
	}
	if st.PID <= 0 {
		return st, fmt.Errorf("handle has no pid")
	}
	if st.PGID == 0 {
		st.PGID = st.PID
	}
	return st, nil
}

// watchForeign waits for a recovered task's leader to exit, then kills what
// is left of its group if the group id still belongs to the task.
func (e *Executor) watchForeign(t *task) {
	t.watcher.waitForeign(t.startTicks)
	t.markGone()
	t.watcher.close()
	if groupStillOurs(t.pgid, t.startTicks) {
		if err := signalGroup(t.pgid, unix.SIGKILL); err != nil {
			e.logger.Warn("killing leftover processes failed", "task_id", t.id, "error", err)
		}
	}
	e.killIsolated(t)
	e.logger.Debug("recovered task exited", "task_id", t.id)
	res := &drivers.ExitResult{ExitCode: -1, Err: errForeignExit}
	if t.ns != nil {
		// An isolated task's init left the status its parent could not see.
		if r, ok := nsExitResult(t.ns.stateDir); ok {
			res = r
		}
	}
	e.finishTask(t, res)
}

// groupStillOurs guards the leftover kill of a recovered task, whose leader
// is reaped by someone else: if a new process now holds the leader's pid, the
// group id may have been reused, and the group is left alone.
func groupStillOurs(pgid int, startTicks uint64) bool {
	if startTicks == 0 {
		return false
	}
	ticks, err := processStartTicks(pgid)
	if err != nil {
		return true // leader gone; the group holds only the task's orphans
	}
	return ticks == startTicks
}
