// Package executor runs task processes for the process-based drivers
// (raw_exec, exec). One executor lives in the driver's plugin process and
// serves all of that driver's tasks: each task is a direct child of the plugin
// process, in its own process group, writing its output straight to its log
// files. The per-task cost beyond the task itself is one parked goroutine.
package executor

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/appmesh/appmesh/drivers"
)

// killWait bounds how long Stop and Destroy wait for a SIGKILLed task to be
// seen gone; only a process stuck in the kernel can take longer.
const killWait = 10 * time.Second

// Isolation confines a task's processes beyond a process group. It is where
// the exec driver's cgroups hook in: Prepare creates the task's cgroup and
// sets sys.UseCgroupFD/CgroupFD so the child is born inside it (clone3 with
// CLONE_INTO_CGROUP, so no process of the task ever runs outside it), and
// Cleanup kills whatever is left in the cgroup and removes it.
type Isolation interface {
	Prepare(cfg *drivers.TaskConfig, sys *syscall.SysProcAttr) error
	Cleanup(taskID string) error
}

// noIsolation is raw_exec's: the process group is the whole boundary.
type noIsolation struct{}

func (noIsolation) Prepare(*drivers.TaskConfig, *syscall.SysProcAttr) error { return nil }
func (noIsolation) Cleanup(string) error                                    { return nil }

// Executor starts, watches and stops task processes.
type Executor struct {
	logger    hclog.Logger
	isolation Isolation

	mu    sync.Mutex
	tasks map[string]*task
}

// New returns an executor; iso may be nil for no isolation.
func New(logger hclog.Logger, iso Isolation) *Executor {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	if iso == nil {
		iso = noIsolation{}
	}
	return &Executor{logger: logger, isolation: iso, tasks: make(map[string]*task)}
}

// driverState is the opaque recovery data in a TaskHandle.
type driverState struct {
	PID        int    `json:"pid"`
	PGID       int    `json:"pgid"`
	StartTicks uint64 `json:"start_ticks,omitempty"`
}

// Start starts a task and returns its handle (Driver left for the caller).
func (e *Executor) Start(cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	if cfg == nil || cfg.ID == "" {
		return nil, fmt.Errorf("task config: id is required")
	}
	spec, err := buildLaunchSpec(cfg)
	if err != nil {
		return nil, err
	}
	if err := e.reserve(cfg.ID); err != nil {
		return nil, err
	}
	t, err := e.launch(cfg, spec)
	if err != nil {
		e.release(cfg.ID)
		return nil, fmt.Errorf("task %s: %w", cfg.ID, err)
	}
	e.mu.Lock()
	e.tasks[cfg.ID] = t
	e.mu.Unlock()
	go e.watchChild(t)
	e.logger.Debug("task started", "task_id", cfg.ID, "pid", t.pid, "command", spec.path)
	return t.handle()
}

// reserve claims an id so that two concurrent starts cannot both win.
func (e *Executor) reserve(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.tasks[id]; ok {
		return fmt.Errorf("task %s: already exists", id)
	}
	e.tasks[id] = nil
	return nil
}

func (e *Executor) release(id string) {
	e.mu.Lock()
	delete(e.tasks, id)
	e.mu.Unlock()
}

func (e *Executor) launch(cfg *drivers.TaskConfig, spec *launchSpec) (*task, error) {
	sys := &syscall.SysProcAttr{}
	if err := e.isolation.Prepare(cfg, sys); err != nil {
		return nil, fmt.Errorf("preparing isolation: %w", err)
	}
	proc, pidfd, err := startProcess(spec, cfg.StdoutPath, cfg.StderrPath, sys)
	if err != nil {
		if cerr := e.isolation.Cleanup(cfg.ID); cerr != nil {
			e.logger.Warn("isolation cleanup failed", "task_id", cfg.ID, "error", cerr)
		}
		return nil, err
	}
	// The child is still a zombie at worst here, so /proc/<pid> exists.
	ticks, _ := processStartTicks(proc.Pid)
	return newTask(cfg, proc.Pid, ticks, proc, newPidWatcher(proc.Pid, pidfd)), nil
}

// watchChild waits for a started task's process and records how it ended.
// When the leader exits, what is left of its group is killed before the
// leader is reaped: the zombie leader keeps the group id from being reused,
// so the kill cannot hit an unrelated group. A task is its whole tree; a
// stray child outliving it would run untracked. During a Stop the rest of
// the group first gets what is left of the grace period to exit on its own.
func (e *Executor) watchChild(t *task) {
	t.watcher.waitChild()
	t.awaitGroupDuringStop()
	if err := signalGroup(t.pgid, unix.SIGKILL); err != nil {
		e.logger.Warn("killing leftover processes failed", "task_id", t.id, "error", err)
	}
	t.markGone()
	state, err := t.process.Wait()
	t.watcher.close()
	res := &drivers.ExitResult{}
	if err != nil {
		res.ExitCode, res.Err = -1, fmt.Sprintf("waiting for process: %v", err)
	} else {
		res.ExitCode, res.Signal = exitStatus(state)
	}
	e.logger.Debug("task exited", "task_id", t.id, "exit_code", res.ExitCode, "signal", res.Signal)
	t.finish(res)
}

// exitStatus follows the shell convention: a task killed by signal N
// reports exit code 128+N along with the signal.
func exitStatus(state *os.ProcessState) (code, signal int) {
	ws, ok := state.Sys().(syscall.WaitStatus)
	if !ok {
		return state.ExitCode(), 0
	}
	if ws.Signaled() {
		return 128 + int(ws.Signal()), int(ws.Signal())
	}
	return ws.ExitStatus(), 0
}

// lookup returns a known task or an error wrapping drivers.ErrTaskNotFound.
func (e *Executor) lookup(id string) (*task, error) {
	e.mu.Lock()
	t := e.tasks[id]
	e.mu.Unlock()
	if t == nil {
		return nil, fmt.Errorf("task %s: %w", id, drivers.ErrTaskNotFound)
	}
	return t, nil
}

// Wait blocks until the task exits or ctx is done.
func (e *Executor) Wait(ctx context.Context, id string) (*drivers.ExitResult, error) {
	t, err := e.lookup(id)
	if err != nil {
		return nil, err
	}
	select {
	case <-t.done:
		return t.exitResult(), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("task %s: waiting: %w", id, ctx.Err())
	}
}

// Stop sends signal (default SIGTERM) to the task's process group, waits up
// to timeout for the task to exit, then kills the whole group.
func (e *Executor) Stop(id string, timeout time.Duration, signal string) error {
	t, err := e.lookup(id)
	if err != nil {
		return err
	}
	sig, err := ParseSignal(signal, unix.SIGTERM)
	if err != nil {
		return fmt.Errorf("task %s: stop: %w", id, err)
	}
	if t.exited() {
		return nil
	}
	t.beginStop(timeout)
	if err := t.signalGroup(sig); err != nil {
		return fmt.Errorf("task %s: stop: %w", id, err)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-t.done:
		return nil
	case <-timer.C:
	}
	e.logger.Debug("task ignored stop signal, killing", "task_id", id, "signal", sig)
	return t.kill()
}

// Destroy forgets the task, killing it first when force is set.
func (e *Executor) Destroy(id string, force bool) error {
	t, err := e.lookup(id)
	if err != nil {
		return err
	}
	if !t.exited() {
		if !force {
			return fmt.Errorf("task %s: still running; stop it first or destroy with force", id)
		}
		if err := t.kill(); err != nil {
			return err
		}
	}
	e.release(id)
	if err := e.isolation.Cleanup(id); err != nil {
		return fmt.Errorf("task %s: cleanup: %w", id, err)
	}
	return nil
}

// Inspect reports the task's current status.
func (e *Executor) Inspect(id string) (*drivers.TaskStatus, error) {
	t, err := e.lookup(id)
	if err != nil {
		return nil, err
	}
	return t.status(), nil
}

// Signal sends a signal to the task's main process only: a reload signal
// such as SIGHUP is meant for the program, not for every worker it forked.
func (e *Executor) Signal(id string, signal string) error {
	t, err := e.lookup(id)
	if err != nil {
		return err
	}
	if signal == "" {
		return fmt.Errorf("task %s: signal name is required", id)
	}
	sig, err := ParseSignal(signal, 0)
	if err != nil {
		return fmt.Errorf("task %s: %w", id, err)
	}
	return t.signalLeader(sig)
}

func marshalState(s driverState) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encoding driver state: %w", err)
	}
	return b, nil
}
