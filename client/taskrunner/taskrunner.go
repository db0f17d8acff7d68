// Package taskrunner runs one task of an allocation through its driver:
// prestart hooks, start, poststart hooks, wait, exited hooks, stop. There are
// no restarts in this phase (the restart policy is a later issue): a task
// that exits is dead.
package taskrunner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// killGrace is how long the runner waits, beyond the kill timeout, for a
// stopped task to be reported exited before it gives up on the driver.
const killGrace = 5 * time.Second

// Dispenser hands out drivers by name.
type Dispenser interface {
	Dispense(name string) (drivers.Driver, error)
}

// Config is what a task runner needs.
type Config struct {
	Alloc    *structs.Allocation
	Task     *structs.Task
	AllocDir *allocdir.AllocDir
	Drivers  Dispenser
	Logger   hclog.Logger
	// OnStateChange is called after every change of the task's state, with
	// no lock of the runner held.
	OnStateChange func(task string)
}

// TaskRunner runs one task. Run does all the work in the caller's
// goroutine; Kill and State may be called from anywhere.
type TaskRunner struct {
	alloc         *structs.Allocation
	task          *structs.Task
	allocDir      *allocdir.AllocDir
	dispenser     Dispenser
	logger        hclog.Logger
	onStateChange func(string)
	hooks         []hook

	// ctx lives as long as Run; cancelling it ends the driver wait.
	ctx    context.Context
	cancel context.CancelFunc

	killCh     chan struct{}
	killOnce   sync.Once
	killReason string // set once, before killCh closes
	waitCh     chan struct{}

	mu    sync.Mutex
	state *structs.TaskState

	// Owned by the Run goroutine.
	driver drivers.Driver
	handle *drivers.TaskHandle
}

// New creates a task runner in the pending state with a Received event.
func New(cfg *Config) (*TaskRunner, error) {
	if cfg.Alloc == nil || cfg.Task == nil || cfg.AllocDir == nil || cfg.Drivers == nil {
		return nil, errors.New("task runner: alloc, task, alloc dir and drivers are required")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	ctx, cancel := context.WithCancel(context.Background())
	tr := &TaskRunner{
		alloc:         cfg.Alloc,
		task:          cfg.Task,
		allocDir:      cfg.AllocDir,
		dispenser:     cfg.Drivers,
		logger:        logger.With("task", cfg.Task.Name),
		onStateChange: cfg.OnStateChange,
		ctx:           ctx,
		cancel:        cancel,
		killCh:        make(chan struct{}),
		waitCh:        make(chan struct{}),
		state: &structs.TaskState{
			State:  structs.TaskStatePending,
			Events: []*structs.TaskEvent{newEvent(structs.TaskEventReceived, "Task received by client")},
		},
	}
	tr.hooks = []hook{
		&taskDirHook{allocDir: cfg.AllocDir, task: cfg.Task.Name},
		&logsHook{allocDir: cfg.AllocDir, task: cfg.Task.Name},
		&envHook{tr: tr},
	}
	return tr, nil
}

// TaskName is the name of the task.
func (tr *TaskRunner) TaskName() string { return tr.task.Name }

// TaskID is the ID the driver knows the task by.
func (tr *TaskRunner) TaskID() string { return tr.alloc.ID + "/" + tr.task.Name }

// WaitCh is closed when Run has returned: the task is dead and released.
func (tr *TaskRunner) WaitCh() <-chan struct{} { return tr.waitCh }

// Kill asks the task to stop and returns at once; Run does the killing.
// Only the first reason is kept.
func (tr *TaskRunner) Kill(reason string) {
	tr.killOnce.Do(func() {
		tr.killReason = reason
		close(tr.killCh)
	})
}

func (tr *TaskRunner) killRequested() bool {
	select {
	case <-tr.killCh:
		return true
	default:
		return false
	}
}

// Run drives the task from pending to dead. It returns when the task has
// exited and the driver released it.
func (tr *TaskRunner) Run() {
	defer close(tr.waitCh)
	defer tr.cancel()

	if tr.killRequested() {
		tr.setDead(false, newEvent(structs.TaskEventKilled, "Task killed before it started: "+tr.killReason))
		return
	}
	cfg, err := tr.prestart()
	if err != nil {
		tr.logger.Error("task setup failed", "error", err)
		ev := newEvent(structs.TaskEventSetupFailure, err.Error())
		ev.Error = err.Error()
		tr.setDead(true, ev)
		return
	}
	if err := tr.start(cfg); err != nil {
		tr.logger.Error("driver failed to start task", "driver", tr.task.Driver, "error", err)
		ev := newEvent(structs.TaskEventDriverFailure, err.Error())
		ev.Error = err.Error()
		tr.setDead(true, ev)
		return
	}
	tr.runPoststart()

	res, killed := tr.waitOrKill()
	tr.setTerminated(res, killed)
	if killed {
		tr.emit(structs.TaskEventKilled, "Task successfully killed")
	}
	tr.runExited(res)
	if err := tr.driver.DestroyTask(tr.TaskID(), true); err != nil {
		tr.logger.Warn("driver failed to release task", "error", err)
	}
	tr.runStop()
	tr.setDead(false, nil)
}

// prestart builds the driver's task config through the prestart hooks.
func (tr *TaskRunner) prestart() (*drivers.TaskConfig, error) {
	tr.emit(structs.TaskEventSetup, "Building task directory")
	res := tr.task.Resources
	if r, ok := tr.alloc.TaskResources[tr.task.Name]; ok && r != nil {
		res = r
	}
	cfg := &drivers.TaskConfig{
		ID:        tr.TaskID(),
		AllocID:   tr.alloc.ID,
		TaskName:  tr.task.Name,
		JobID:     tr.alloc.JobID,
		Group:     tr.alloc.TaskGroup,
		Config:    tr.task.Config,
		User:      tr.task.User,
		Resources: res,
	}
	for _, h := range tr.hooks {
		if p, ok := h.(prestartHook); ok {
			if err := p.Prestart(tr.ctx, cfg); err != nil {
				return nil, fmt.Errorf("prestart hook %q: %w", h.Name(), err)
			}
		}
	}
	return cfg, nil
}

// start dispenses the driver and starts the task.
func (tr *TaskRunner) start(cfg *drivers.TaskConfig) error {
	drv, err := tr.dispenser.Dispense(tr.task.Driver)
	if err != nil {
		return fmt.Errorf("get driver %q: %w", tr.task.Driver, err)
	}
	handle, err := drv.StartTask(cfg)
	if err != nil {
		return fmt.Errorf("start task: %w", err)
	}
	tr.driver, tr.handle = drv, handle
	startedAt := handle.StartedAt
	if startedAt.IsZero() {
		startedAt = time.Now()
	}
	tr.logger.Debug("task started", "pid", handle.PID)
	tr.setRunning(startedAt)
	return nil
}

// waitOrKill waits for the task to exit, or for a kill request, in which
// case it stops the task and then waits for the exit. killed reports which.
func (tr *TaskRunner) waitOrKill() (res *drivers.ExitResult, killed bool) {
	// The wait goroutine ends when the task exits or when Run returns
	// (tr.ctx is cancelled then); resCh is buffered so it never blocks.
	resCh := make(chan *drivers.ExitResult, 1)
	go func() { resCh <- tr.waitTask() }()

	select {
	case res := <-resCh:
		return res, false
	case <-tr.killCh:
	}

	timeout := tr.task.KillTimeout.Std()
	if timeout <= 0 {
		timeout = structs.DefaultKillTimeout
	}
	tr.emit(structs.TaskEventKilling, fmt.Sprintf("Sent interrupt, waiting %s before force killing (%s)", timeout, tr.killReason))
	if err := tr.driver.StopTask(tr.TaskID(), timeout, tr.task.KillSignal); err != nil {
		tr.logger.Warn("driver failed to stop task", "error", err)
	}
	select {
	case res := <-resCh:
		return res, true
	case <-time.After(timeout + killGrace):
		// The driver did not report the exit; force it and stop waiting so
		// that the allocation does not hang forever.
		tr.logger.Error("task did not exit after it was stopped; forcing", "timeout", timeout)
		if err := tr.driver.DestroyTask(tr.TaskID(), true); err != nil {
			tr.logger.Warn("driver failed to force-destroy task", "error", err)
		}
		tr.cancel()
		return <-resCh, true
	}
}

// waitTask turns driver wait errors into an exit result.
func (tr *TaskRunner) waitTask() *drivers.ExitResult {
	res, err := tr.driver.WaitTask(tr.ctx, tr.TaskID())
	if err != nil {
		return &drivers.ExitResult{ExitCode: -1, Err: fmt.Sprintf("wait for task: %v", err)}
	}
	if res == nil {
		return &drivers.ExitResult{ExitCode: -1, Err: "driver returned no exit result"}
	}
	return res
}

func (tr *TaskRunner) runPoststart() {
	for _, h := range tr.hooks {
		if p, ok := h.(poststartHook); ok {
			if err := p.Poststart(tr.ctx, tr.handle); err != nil {
				tr.logger.Warn("poststart hook failed", "hook", h.Name(), "error", err)
			}
		}
	}
}

func (tr *TaskRunner) runExited(res *drivers.ExitResult) {
	for _, h := range tr.hooks {
		if p, ok := h.(exitedHook); ok {
			if err := p.Exited(tr.ctx, res); err != nil {
				tr.logger.Warn("exited hook failed", "hook", h.Name(), "error", err)
			}
		}
	}
}

func (tr *TaskRunner) runStop() {
	for _, h := range tr.hooks {
		if p, ok := h.(stopHook); ok {
			if err := p.Stop(tr.ctx); err != nil {
				tr.logger.Warn("stop hook failed", "hook", h.Name(), "error", err)
			}
		}
	}
}
