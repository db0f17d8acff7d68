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

// Executor starts, watches and stops task processes.
type Executor struct {
	logger    hclog.Logger
	isolation Isolation
	// namespaces gives tasks their own PID and mount namespaces (exec);
	// nsBase holds their state dirs.
	namespaces bool
	nsBase     string
	// nsErr is why namespaces cannot be created here (ProbeNamespaces):
	// tasks that want them fail to start with it.
	nsErr error

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
	return &Executor{logger: logger, isolation: iso, tasks: make(map[string]*task), nsBase: nsStateBase}
}

// EnableNamespaces gives each task, unless its config says isolation =
// "none", its own PID namespace and a root of its own (see buildRoot).
// stateBase ("" for the default) holds the tasks' root mount points. With
// unavailable set (ProbeNamespaces failed), such tasks are refused instead:
// running them on the host's / would be a silent escape.
func (e *Executor) EnableNamespaces(stateBase string, unavailable error) {
	e.namespaces = true
	e.nsErr = unavailable
	if stateBase != "" {
		e.nsBase = stateBase
	}
}

func (e *Executor) configKeys() []string {
	if e.namespaces {
		return nsConfigKeys
	}
	return configKeys
}

// useNamespaces tells whether a task gets its own namespaces.
func (e *Executor) useNamespaces(cfg *drivers.TaskConfig) (bool, error) {
	if !e.namespaces {
		return false, nil
	}
	mode, err := isolationMode(cfg)
	if err == nil && mode == IsolationChroot && e.nsErr != nil {
		return false, fmt.Errorf("exec isolation is unavailable on this client (%v): run the agent as root with CAP_SYS_ADMIN (a container needs --privileged), or set isolation = %q in the task's config (allowed where the client has raw_exec_enabled = true)", e.nsErr, IsolationNone)
	}
	return mode == IsolationChroot, err
}

// driverState is the opaque recovery data in a TaskHandle.
type driverState struct {
	PID        int    `json:"pid"`
	PGID       int    `json:"pgid"`
	StartTicks uint64 `json:"start_ticks,omitempty"`
	// NS marks a task with its own namespaces, whose leader is its init;
	// NSPid is its main process's pid inside them.
	NS    bool `json:"ns,omitempty"`
	NSPid int  `json:"ns_pid,omitempty"`
}

// Start starts a task and returns its handle (Driver left for the caller).
func (e *Executor) Start(cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	if cfg == nil || cfg.ID == "" {
		return nil, fmt.Errorf("task config: id is required")
	}
	unignoreTaskSignals()
	spec, err := buildLaunchSpec(cfg, e.configKeys())
	if err != nil {
		return nil, err
	}
	isolated, err := e.useNamespaces(cfg)
	if err != nil {
		return nil, err
	}
	if h, ok := e.alreadyStarted(cfg.ID); ok {
		return h, nil
	}
	if err := ownTaskDir(cfg.TaskDir, spec.cred); err != nil {
		return nil, err
	}
	if !isolated {
		if err := linkMounts(cfg, spec); err != nil {
			return nil, err
		}
	}
	if err := e.reserve(cfg.ID); err != nil {
		return nil, err
	}
	t, err := e.launch(cfg, spec, isolated)
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

func (e *Executor) launch(cfg *drivers.TaskConfig, spec *launchSpec, isolated bool) (*task, error) {
	sys := &syscall.SysProcAttr{}
	run := spec
	var ns *nsStart
	if isolated {
		var err error
		if run, ns, err = e.prepareNS(cfg, spec); err != nil {
			return nil, fmt.Errorf("preparing namespaces: %w", err)
		}
		sys.Cloneflags |= nsCloneFlags
	}
	fail := func(err error) (*task, error) {
		if ns != nil {
			ns.close()
			e.removeNSState(ns.stateDir)
		}
		return nil, err
	}
	started, err := e.isolation.Prepare(cfg, sys)
	if err != nil {
		return fail(fmt.Errorf("preparing isolation: %w", err))
	}
	out, err := openOutputs(cfg)
	if err != nil {
		started(0)
		e.cleanupIsolation(cfg.ID)
		return fail(err)
	}
	var proc *os.Process
	pidfd := -1
	_, err = startInIsolation(sys, started, func() (int, error) {
		err := inNamespaces(taskNamespaces(cfg), func() error {
			var err error
			proc, pidfd, err = startProcess(run, out.stdinChild(), out.child[0], out.child[1], sys)
			return err
		})
		if err != nil {
			return 0, err
		}
		return proc.Pid, nil
	})
	out.closeChild()
	var nsPid int
	if ns != nil {
		ns.closeChildEnds()
		if err == nil {
			nsPid, err = ns.handshake()
		}
	}
	if err != nil && proc != nil {
		_ = unix.Kill(proc.Pid, unix.SIGKILL)
		_, _ = proc.Wait()
		unix.Close(pidfd)
	}
	if err != nil {
		out.stop()
		e.cleanupIsolation(cfg.ID)
		return fail(err)
	}
	// The child is still a zombie at worst here, so /proc/<pid> exists.
	ticks, _ := processStartTicks(proc.Pid)
	t := newTask(cfg, proc.Pid, ticks, proc, newPidWatcher(proc.Pid, pidfd))
	t.spec, t.out = spec, out
	if ns != nil {
		t.ns = &nsTask{stateDir: ns.stateDir, childNSPid: nsPid}
		if err := writeNSInit(ns.stateDir, proc.Pid, ticks); err != nil {
			e.logger.Warn("recording an isolated task's init failed; a sweep may not tell it from a dead one", "task_id", cfg.ID, "error", err)
		}
	}
	return t, nil
}

// removeNSState removes an isolated task's state dir, logging a failure:
// it is an empty mount point and a small file, never worth failing for.
func (e *Executor) removeNSState(dir string) {
	if err := removeNSState(dir); err != nil {
		e.logger.Warn("removing an isolated task's state failed", "dir", dir, "error", err)
	}
}

func (e *Executor) cleanupIsolation(id string) {
	if err := e.isolation.Cleanup(id); err != nil {
		e.logger.Warn("isolation cleanup failed", "task_id", id, "error", err)
	}
}

// killAll SIGKILLs the task's process group and everything in its isolation.
func (e *Executor) killAll(t *task) error {
	if err := t.signalGroup(unix.SIGKILL); err != nil {
		return err
	}
	return e.isolation.Kill(t.id)
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
	e.killIsolated(t)
	t.markGone()
	state, err := t.process.Wait()
	t.watcher.close()
	res := &drivers.ExitResult{}
	if err != nil {
		res.ExitCode, res.Err = -1, fmt.Sprintf("waiting for process: %v", err)
	} else {
		res.ExitCode, res.Signal = exitStatus(state)
	}
	if t.ns != nil {
		// The init's own status is the task's, except that a task killed
		// by a signal shows as 128+N: its file says which signal. A
		// killed init (stop, OOM) left none, and its status is right.
		if r, ok := nsExitResult(t.ns.stateDir); ok {
			res = r
		}
	}
	e.finishTask(t, res)
}

// killIsolated kills what is left in the task's isolation (processes that
// left its process group) once its leader is gone.
func (e *Executor) killIsolated(t *task) {
	if err := e.isolation.Kill(t.id); err != nil {
		e.logger.Warn("killing leftover processes in isolation failed", "task_id", t.id, "error", err)
	}
}

// finishTask records how a task ended once all its processes are gone: an
// unclean end with an OOM kill recorded by the isolation is an OOM kill.
func (e *Executor) finishTask(t *task, res *drivers.ExitResult) {
	if !res.Successful() && e.isolation.OOMKilled(t.id) {
		res.OOMKilled, res.Err = true, "OOM killed"
	}
	// Nothing of the task runs any more: its cgroup goes now, not only at
	// Destroy, so that a task the client never destroys leaves nothing.
	e.cleanupIsolation(t.id)
	if t.ns != nil {
		e.removeNSState(t.ns.stateDir)
	}
	if t.out != nil {
		t.out.stop()
	}
	e.logger.Debug("task exited", "task_id", t.id, "exit_code", res.ExitCode, "signal", res.Signal, "oom_killed", res.OOMKilled)
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
	return e.kill(t)
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
		if err := e.kill(t); err != nil {
			return err
		}
	}
	e.release(id)
	if t.ns != nil {
		e.removeNSState(t.ns.stateDir)
	}
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

// kill SIGKILLs the task's whole group and isolation and waits until the
// task is seen gone.
func (e *Executor) kill(t *task) error {
	if err := e.killAll(t); err != nil {
		return fmt.Errorf("task %s: kill: %w", t.id, err)
	}
	select {
	case <-t.done:
		return nil
	case <-time.After(killWait):
		return fmt.Errorf("task %s: pid %d still running %s after SIGKILL", t.id, t.pid, killWait)
	}
}
