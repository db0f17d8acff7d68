// Package taskrunner runs one task of an allocation through its driver:
// prestart hooks, start, poststart hooks, wait, exited hooks, then the
// restart policy decides between another round and the end (stop hooks,
// dead). The runner persists the driver's handle and the task's state so
// that a restarted agent re-attaches to the running task (see recover.go).
package taskrunner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/client/state"
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

// StateDB persists a task's handle and state (client/state.DB).
type StateDB interface {
	PutTask(allocID, task string, rec *state.TaskRecord) error
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
	// Restart is the effective restart policy; nil never restarts.
	Restart *structs.RestartPolicy
	// JobType decides whether a clean exit completes the task (batch).
	JobType string
	// Ephemeral: a clean exit completes the task whatever the job type
	// (a lifecycle task without sidecar, which runs once to its end).
	Ephemeral bool
	// Payload is a dispatched job's input, given to the task as the file
	// local/payload in its directory.
	Payload []byte
	// Meta is the job's, group's and task's meta merged (the task's wins),
	// given to the task as APPMESH_META_<KEY>.
	Meta map[string]string
	// State persists the task; nil keeps nothing.
	State StateDB
	// Restore is the task as persisted by an earlier agent, or nil.
	Restore *state.TaskRecord
	// OnRemove is called when an exit action asks to stop the whole job.
	OnRemove func(task, reason string)
	// Services registers the task's services with Consul; nil: none.
	Services ServiceRegistrar
	// Clock drives the daily window; nil is the wall clock.
	Clock Clock
	// Policy is the client's allow-lists (users, docker mounts and
	// privileges); nil allows everything the driver does.
	Policy *Policy
	// Volumes are the group's volume requests and HostVolumes the client's
	// host volumes, for the task's volume_mount blocks (hook_volumes.go).
	Volumes     []*structs.VolumeRequest
	HostVolumes map[string]*structs.ClientHostVolume
	// Node returns the client's node as last fingerprinted, for the node
	// variables of templates; nil: none.
	Node func() *structs.Node
	// Identities signs the task's workload identities (hook_identity.go);
	// nil: a task with identity blocks fails to start.
	Identities IdentitySigner
	// Network is the allocation's bridge network, filled in by the alloc
	// runner before any task starts; nil: the node's network.
	Network *AllocNetwork
	// ConnectUpstreams are the group's connect upstreams
	// (TaskGroup.ConnectUpstreams), given to its tasks' environment.
	ConnectUpstreams []*structs.ConsulUpstream
}

// AllocNetwork is a bridge-mode allocation's network as its tasks join it.
type AllocNetwork struct {
	// NetNSPath is the namespace the tasks start in; UTSPath the one with
	// the allocation's host name ("": the node's).
	NetNSPath string
	UTSPath   string
	// ResolvConf is the resolv.conf written from the dns block, or "".
	ResolvConf string
	// Err is why the network could not be set up: the tasks fail with it.
	Err error
}

// exitKind says why waiting for a task ended.
type exitKind int

const (
	exitNatural  exitKind = iota // the task exited on its own
	exitKilled                   // Kill stopped it
	exitRestart                  // Restart stopped it to start it again
	exitDetached                 // Detach: the task keeps running, the runner leaves
	exitWindow                   // the daily window closed: stopped until it opens
)

// TaskRunner runs one task. Run does all the work in the caller's
// goroutine; Kill, Restart, Detach, Signal, Exec, Stats and State may be
// called from anywhere.
type TaskRunner struct {
	meta          map[string]string // APPMESH_META_* (Config.Meta)
	alloc         *structs.Allocation
	task          *structs.Task
	allocDir      *allocdir.AllocDir
	dispenser     Dispenser
	logger        hclog.Logger
	onStateChange func(string)
	onRemove      func(task, reason string)
	hooks         []hook
	restarts      *restartTracker
	db            StateDB
	restore       *state.TaskRecord
	clock         Clock
	policy        *Policy
	node          func() *structs.Node
	network       *AllocNetwork // bridge mode (Config.Network); nil: none

	// ctx lives as long as Run; cancelling it ends driver waits.
	ctx    context.Context
	cancel context.CancelFunc

	killCh     chan struct{}
	killOnce   sync.Once
	killReason string // set once, before killCh closes
	detachCh   chan struct{}
	detachOnce sync.Once
	restartCh  chan string // user restart requests (reason), buffered 1
	// restartReason is the last request's reason (Run goroutine only).
	restartReason string
	waitCh        chan struct{}

	// persistMu orders writes of the state to the database.
	persistMu sync.Mutex

	mu     sync.Mutex
	state  *structs.TaskState
	driver drivers.Driver      // set once the task started or was recovered
	handle *drivers.TaskHandle // nil when no process of the task exists
}

// New creates a task runner: pending with a Received event, or in the
// state restored from an earlier agent.
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
		meta:          cfg.Meta,
		alloc:         cfg.Alloc,
		task:          cfg.Task,
		allocDir:      cfg.AllocDir,
		dispenser:     cfg.Drivers,
		logger:        logger.With("task", cfg.Task.Name),
		onStateChange: cfg.OnStateChange,
		onRemove:      cfg.OnRemove,
		restarts:      newRestartTracker(cfg.Restart, cfg.JobType, cfg.Ephemeral),
		db:            cfg.State,
		restore:       cfg.Restore,
		clock:         cfg.Clock,
		policy:        cfg.Policy,
		node:          cfg.Node,
		network:       cfg.Network,
		ctx:           ctx,
		cancel:        cancel,
		killCh:        make(chan struct{}),
		detachCh:      make(chan struct{}),
		restartCh:     make(chan string, 1),
		waitCh:        make(chan struct{}),
		state: &structs.TaskState{
			State:  structs.TaskStatePending,
			Events: []*structs.TaskEvent{newEvent(structs.TaskEventReceived, "Task received by client")},
		},
	}
	if tr.clock == nil {
		tr.clock = realClock{}
	}
	if r := cfg.Restore; r != nil && r.State != nil {
		tr.state = r.State.Copy()
	}
	tr.hooks = []hook{
		&taskDirHook{allocDir: cfg.AllocDir, task: cfg.Task.Name},
		&logsHook{allocDir: cfg.AllocDir, task: cfg.Task.Name, logs: cfg.Task.Logs},
		&envHook{tr: tr},
		&healthHook{tr: tr},
		&payloadHook{payload: cfg.Payload, task: cfg.Task.Name, file: cfg.Task.PayloadFile()},
	}
	// Templates come after artifacts, whose files a template's source may
	// name.
	for _, h := range []hook{
		volumesHookFor(tr, cfg),
		artifactHookFor(tr), templateHookFor(tr, cfg.Services, cfg.Restart.RendersTemplates()),
		servicesHookFor(tr, cfg.Services), upstreamsHookFor(tr, cfg.Services),
		identityHookFor(tr, cfg.Identities),
		connectHookFor(tr, cfg.ConnectUpstreams),
	} {
		if h != nil {
			tr.hooks = append(tr.hooks, h)
		}
	}
	return tr, nil
}

// TaskName is the name of the task.
func (tr *TaskRunner) TaskName() string { return tr.task.Name }

// TaskID is the ID the driver knows the task by.
func (tr *TaskRunner) TaskID() string { return tr.alloc.ID + "/" + tr.task.Name }

// WaitCh is closed when Run has returned: the task is dead and released,
// or the runner detached from it.
func (tr *TaskRunner) WaitCh() <-chan struct{} { return tr.waitCh }

// Kill asks the task to stop for good and returns at once; Run does the
// killing. Only the first reason is kept.
func (tr *TaskRunner) Kill(reason string) {
	tr.killOnce.Do(func() {
		tr.killReason = reason
		close(tr.killCh)
	})
}

// Detach makes Run return without touching the task, which keeps running
// (agent shutdown): a later agent re-attaches to it from the saved state.
func (tr *TaskRunner) Detach() {
	tr.detachOnce.Do(func() { close(tr.detachCh) })
}

// KilledCh is closed once Kill was called.
func (tr *TaskRunner) KilledCh() <-chan struct{} { return tr.killCh }

func (tr *TaskRunner) killRequested() bool {
	select {
	case <-tr.killCh:
		return true
	default:
		return false
	}
}

// Run drives the task until it is dead for good, or until Detach.
func (tr *TaskRunner) Run() {
	defer close(tr.waitCh)
	defer tr.cancel()
	if tr.restoredDead() {
		return
	}
	res, kind, ok := tr.recoverTask()
	for {
		if !ok {
			if tr.killRequested() {
				tr.setDead(false, newEvent(structs.TaskEventKilled, "Task killed before it started: "+tr.killReason))
				return
			}
			if !tr.waitForWindow() {
				return
			}
			var d restartDecision
			if res, kind, d, ok = tr.startAndWait(); !ok {
				if !tr.next(d) {
					return
				}
				continue
			}
		}
		ok = false
		if kind == exitDetached {
			tr.logger.Debug("detached from running task")
			return
		}
		if !tr.next(tr.afterExit(res, kind)) {
			return
		}
	}
}

// startAndWait runs one attempt: prestart, start, poststart, wait. ok is
// false when the task could not be started; d then says what follows.
func (tr *TaskRunner) startAndWait() (res *drivers.ExitResult, kind exitKind, d restartDecision, ok bool) {
	if err := tr.policy.Check(tr.task); err != nil {
		// Final: trying again would be refused again, on this node.
		tr.logger.Error("task not permitted on this client", "error", err)
		ev := newEvent(structs.TaskEventNotPermitted, err.Error())
		ev.Error = err.Error()
		tr.emit(ev)
		return nil, 0, restartDecision{failed: true}, false
	}
	cfg, err := tr.prestart()
	if ae, ok := asArtifactError(err); ok {
		return nil, 0, tr.artifactFailed(ae), false
	}
	if te, ok := asTemplateError(err); ok {
		return nil, 0, tr.templateFailed(te), false
	}
	if err != nil {
		tr.logger.Error("task setup failed", "error", err)
		ev := newEvent(structs.TaskEventSetupFailure, err.Error())
		ev.Error = err.Error()
		tr.emit(ev)
		return nil, 0, restartDecision{failed: true}, false
	}
	if err := tr.start(cfg); err != nil {
		tr.logger.Error("driver failed to start task", "driver", tr.task.Driver, "error", err)
		ev := newEvent(structs.TaskEventDriverFailure, err.Error())
		ev.Error = err.Error()
		tr.emit(ev)
		return nil, 0, tr.restarts.onStartFailure(), false
	}
	tr.runPoststart()
	res, kind = tr.waitOrKill()
	return res, kind, restartDecision{}, true
}

// afterExit records the exit, releases the task in the driver and decides
// what comes next.
func (tr *TaskRunner) afterExit(res *drivers.ExitResult, kind exitKind) restartDecision {
	ranFor := time.Since(time.Unix(0, tr.State().StartedAt))
	tr.setTerminated(res)
	if kind == exitKilled {
		tr.emit(newEvent(structs.TaskEventKilled, "Task successfully killed"))
	}
	tr.runExited(res)
	tr.release()
	switch kind {
	case exitKilled:
		return restartDecision{}
	case exitRestart:
		return restartDecision{restart: true, reason: "Restart requested: " + tr.restartReason}
	case exitWindow:
		return restartDecision{restart: true, window: true, reason: "Daily window closed"}
	}
	return tr.restarts.onExit(res, ranFor)
}

// release lets the driver free the task and forgets the handle.
func (tr *TaskRunner) release() {
	drv := tr.currentDriver()
	if drv == nil {
		return
	}
	if err := drv.DestroyTask(tr.TaskID(), true); err != nil && !errors.Is(err, drivers.ErrTaskNotFound) {
		tr.logger.Warn("driver failed to release task", "error", err)
	}
	tr.mu.Lock()
	tr.handle = nil
	tr.mu.Unlock()
	tr.persist()
}

// next carries out a decision: the end of the task (false), or a restart
// after its delay (true). A kill during the delay ends the task; a detach
// leaves it pending for the next agent.
func (tr *TaskRunner) next(d restartDecision) bool {
	if !d.restart {
		tr.finish(d)
		return false
	}
	if d.window { // not a restart: waitForWindow waits for the opening
		return true
	}
	ev := newEvent(structs.TaskEventRestarting, d.reason)
	tr.update(func(s *structs.TaskState) {
		s.State = structs.TaskStatePending
		s.Restarts++
		s.AddEvent(ev)
	})
	tr.countRestart()
	tr.logger.Info("restarting task", "reason", d.reason, "delay", d.delay)
	if d.delay <= 0 {
		return true
	}
	t := time.NewTimer(d.delay)
	defer t.Stop()
	select {
	case <-t.C:
	case reason := <-tr.restartCh:
		tr.logger.Info("restart delay skipped on request", "reason", reason)
	case <-tr.killCh:
		tr.setDead(false, newEvent(structs.TaskEventKilled, "Task killed while waiting to restart: "+tr.killReason))
		return false
	case <-tr.detachCh:
		return false
	}
	return true
}

// finish ends the task for good.
func (tr *TaskRunner) finish(d restartDecision) {
	tr.runStop()
	var ev *structs.TaskEvent
	if d.reason != "" {
		ev = newEvent(structs.TaskEventNotRestarting, d.reason)
	}
	tr.setDead(d.failed, ev)
	if d.remove && tr.onRemove != nil {
		tr.onRemove(tr.task.Name, d.reason)
	}
}

// prestart builds the driver's task config through the prestart hooks.
func (tr *TaskRunner) prestart() (*drivers.TaskConfig, error) {
	tr.emit(newEvent(structs.TaskEventSetup, "Building task directory"))
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
	tr.policy.permit(cfg)
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
	faultAfterStart(tr.task.Name)
	if handle.Driver == "" {
		handle.Driver = tr.task.Driver
	}
	startedAt := handle.StartedAt
	if startedAt.IsZero() {
		startedAt = time.Now()
	}
	tr.logger.Debug("task started", "pid", handle.PID)
	tr.update(func(s *structs.TaskState) {
		tr.driver, tr.handle = drv, handle
		s.State = structs.TaskStateRunning
		s.StartedAt = startedAt.UnixNano()
		s.Starts++
		s.FinishedAt = 0
		s.AddEvent(newEvent(structs.TaskEventStarted, "Task started by client"))
	})
	tr.countStart()
	return nil
}

// currentDriver returns the driver of the running task, or nil.
func (tr *TaskRunner) currentDriver() drivers.Driver {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.driver
}

func (tr *TaskRunner) runPoststart() {
	tr.mu.Lock()
	handle := tr.handle
	tr.mu.Unlock()
	for _, h := range tr.hooks {
		if p, ok := h.(poststartHook); ok {
			if err := p.Poststart(tr.ctx, handle); err != nil {
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
