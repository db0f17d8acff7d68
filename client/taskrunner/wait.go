package taskrunner

import (
	"context"
	"fmt"
	"time"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/structs"
)

// Re-attaching after the driver plugin failed during a wait: a few tries
// with a growing pause, enough for a relaunched plugin to come up.
const (
	reattachTries = 5
	reattachPause = 500 * time.Millisecond
)

// waitOrKill waits for the task to exit, or for a kill, restart or detach
// request. Kill and restart stop the task and then wait for its exit;
// detach leaves it running.
func (tr *TaskRunner) waitOrKill() (*drivers.ExitResult, exitKind) {
	// The wait goroutine ends when the task exits or waitCtx ends;
	// resCh is buffered so it never blocks.
	waitCtx, waitCancel := context.WithCancel(tr.ctx)
	defer waitCancel()
	resCh := make(chan *drivers.ExitResult, 1)
	go func() { resCh <- tr.waitTask(waitCtx) }()

	var kind exitKind
	var reason string
	select {
	case res := <-resCh:
		return res, exitNatural
	case <-tr.detachCh:
		return nil, exitDetached
	case <-tr.killCh:
		kind, reason = exitKilled, tr.killReason
	case r := <-tr.restartCh:
		kind, reason = exitRestart, r
		tr.restartReason = r
	case <-tr.windowCloseCh():
		kind, reason = exitWindow, "daily window closed"
	}
	return tr.stopAndWait(resCh, waitCancel, reason), kind
}

// stopAndWait stops the task through the driver and waits for its exit.
func (tr *TaskRunner) stopAndWait(resCh <-chan *drivers.ExitResult, waitCancel context.CancelFunc, reason string) *drivers.ExitResult {
	timeout := tr.task.KillTimeout.Std()
	if timeout <= 0 {
		timeout = structs.DefaultKillTimeout
	}
	// Services leave Consul (then shutdown_delay) before the signal.
	tr.runPreKill()
	tr.emit(newEvent(structs.TaskEventKilling, fmt.Sprintf("Sent interrupt, waiting %s before force killing (%s)", timeout, reason)))
	drv := tr.currentDriver()
	if err := drv.StopTask(tr.TaskID(), timeout, tr.task.KillSignal); err != nil {
		tr.logger.Warn("driver failed to stop task", "error", err)
	}
	t := time.NewTimer(timeout + killGrace)
	defer t.Stop()
	select {
	case res := <-resCh:
		return res
	case <-t.C:
		// The driver did not report the exit; force it and stop waiting so
		// that the allocation does not hang forever.
		tr.logger.Error("task did not exit after it was stopped; forcing", "timeout", timeout)
		if err := drv.DestroyTask(tr.TaskID(), true); err != nil {
			tr.logger.Warn("driver failed to force-destroy task", "error", err)
		}
		waitCancel()
		return <-resCh
	}
}

// waitTask waits for the task's exit through the driver. When the wait
// fails (typically: the driver plugin crashed), it gets the driver again,
// which relaunches the plugin, re-attaches to the task and waits again.
func (tr *TaskRunner) waitTask(ctx context.Context) *drivers.ExitResult {
	var lastErr error
	for try := 0; ; try++ {
		res, err := tr.currentDriver().WaitTask(ctx, tr.TaskID())
		switch {
		case err == nil && res != nil:
			return res
		case err == nil:
			return &drivers.ExitResult{ExitCode: -1, Err: "driver returned no exit result"}
		case ctx.Err() != nil:
			return &drivers.ExitResult{ExitCode: -1, Err: "wait cancelled: " + ctx.Err().Error()}
		}
		lastErr = err
		if try >= reattachTries {
			break
		}
		tr.logger.Warn("lost the task's driver; re-attaching", "error", err, "try", try+1)
		if !ctxsleep.Sleep(ctx, reattachPause*time.Duration(try+1)) {
			return &drivers.ExitResult{ExitCode: -1, Err: "wait cancelled"}
		}
		if err := tr.reattach(); err != nil {
			return &drivers.ExitResult{ExitCode: -1,
				Err: fmt.Sprintf("task lost: its driver failed (%v) and it could not be recovered: %v", lastErr, err)}
		}
	}
	return &drivers.ExitResult{ExitCode: -1, Err: fmt.Sprintf("wait for task: %v", lastErr)}
}

// reattach gets the driver again and re-attaches to the task. A driver
// that cannot be dispensed yet is not an error: the next try may work.
func (tr *TaskRunner) reattach() error {
	drv, err := tr.dispenser.Dispense(tr.task.Driver)
	if err != nil {
		tr.logger.Warn("driver not available yet", "error", err)
		return nil
	}
	tr.mu.Lock()
	handle := tr.handle
	tr.mu.Unlock()
	if handle == nil {
		return fmt.Errorf("no handle saved for the task")
	}
	if err := attach(drv, handle); err != nil {
		return err
	}
	tr.mu.Lock()
	tr.driver = drv
	tr.mu.Unlock()
	return nil
}
