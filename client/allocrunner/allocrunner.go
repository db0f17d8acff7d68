// Package allocrunner runs one allocation on the client: it lays out the
// allocation directory, runs a task runner per task (the tasks of a group
// start together, or in the order their lifecycle blocks ask for, see
// lifecycle.go), derives the allocation's client status from the task
// states and reports every change.
package allocrunner

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/client/state"
	"github.com/appmesh/appmesh/client/taskrunner"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// Config is what an alloc runner needs.
type Config struct {
	Alloc *structs.Allocation
	// Job is the job at the version the allocation references.
	Job     *structs.Job
	DataDir string
	Drivers taskrunner.Dispenser
	Logger  hclog.Logger
	// OnUpdate receives the allocation's client state after every change.
	// Calls are serialised (so updates arrive in order); it must not block
	// and must not call back into the runner.
	OnUpdate func(*structs.AllocStatusUpdate)
	// State persists the allocation and its tasks; nil keeps nothing.
	State StateDB
	// Restore holds the tasks as an earlier agent left them, or nil for a
	// new allocation.
	Restore *state.RestoredAlloc
	// OnRemove is called (once, in its own goroutine) when a task's exit
	// action asks to stop the allocation's job.
	OnRemove func(alloc *structs.Allocation, reason string)
	// Services registers group and task services with Consul; nil: none.
	Services taskrunner.ServiceRegistrar
	// Policy is the client's allow-lists for tasks; nil: none.
	Policy *taskrunner.Policy
	// HostVolumes are the client's host volumes, for volume_mount blocks.
	HostVolumes map[string]*structs.ClientHostVolume
	// Previous is the replaced allocation whose alloc/data this one takes
	// over (prev_data.go); nil: none.
	Previous *PreviousAlloc
	// Node returns the client's node, for templates; nil: none.
	Node func() *structs.Node
	// SignIdentities asks the servers for a task's workload identities;
	// nil: tasks with identity blocks fail to start.
	SignIdentities taskrunner.IdentitySigner
	// Network sets up bridge-mode allocations' networks; nil: this client
	// has none, and bridge-mode tasks fail with the reason.
	Network Network
}

// StateDB persists allocations and tasks (client/state.DB).
type StateDB interface {
	taskrunner.StateDB
	PutAlloc(rec *state.AllocRecord) error
}

// AllocRunner runs one allocation. Run blocks until every task is dead;
// Update, Kill, Destroy and the getters may be called from anywhere.
type AllocRunner struct {
	id       string
	logger   hclog.Logger
	allocDir *allocdir.AllocDir
	onUpdate func(*structs.AllocStatusUpdate)
	tasks    []*taskrunner.TaskRunner // in group order
	waitCh   chan struct{}
	job      *structs.Job
	db       StateDB
	restored bool
	onRemove func(*structs.Allocation, string)
	// removeOnce guards the single job stop an exit action may ask for.
	removeOnce sync.Once
	// Consul services of the group (services.go); nil without any.
	groupSvc   *groupServices
	groupName  string
	killedFlag atomic.Bool
	killedCh   chan struct{} // closed by the first Kill
	// runLimitHit: the group's max_run_duration stopped the tasks
	// (max_run_duration.go).
	runLimitHit atomic.Bool
	previous    *PreviousAlloc
	// health judges Allocation.Healthy for rolling updates (health_deadline.go).
	health *allocHealth

	// network is the bridge-mode group's network shared with the tasks
	// (network.go); nil in host mode.
	network *taskrunner.AllocNetwork
	netMgr  Network
	netDNS  *structs.DNSConfig
	// netHostname is the network block's hostname ("": the node's).
	netHostname string
	// netSandboxed: the group has docker tasks, so its namespace is held
	// by a pause container they can join (drivers/docker/pause.go).
	netSandboxed bool
	// netAgent: the group runs mesh proxies, which read their config
	// from the agent's address (bridgenet forward_agent.go).
	netAgent bool

	// lifecycle orders the tasks by their lifecycle blocks; gates hold
	// back the tasks whose turn has not come (lifecycle_run.go).
	lifecycle *lifecycle
	gates     map[string]*gate
	// detachCh closes on Detach, releasing tasks still waiting at a gate.
	detachCh   chan struct{}
	detachOnce sync.Once

	// updateMu serialises state snapshots so updates leave in order.
	updateMu      sync.Mutex
	siblingKilled bool
	// lifecycleStopped: tasks stopped because the main tasks ended
	// (updateMu).
	lifecycleStopped map[string]bool

	mu           sync.Mutex
	alloc        *structs.Allocation // latest version from the servers
	clientStatus string
	clientDesc   string
}

// New builds the runner and its task runners; nothing runs until Run.
func New(cfg *Config) (*AllocRunner, error) {
	if cfg.Alloc == nil || cfg.Job == nil {
		return nil, fmt.Errorf("alloc runner: allocation and job are required")
	}
	group := cfg.Job.LookupGroup(cfg.Alloc.TaskGroup)
	if group == nil {
		return nil, fmt.Errorf("alloc runner: job %q version %d has no group %q",
			cfg.Job.ID, cfg.Job.Version, cfg.Alloc.TaskGroup)
	}
	dir, err := allocdir.New(cfg.DataDir, cfg.Alloc.ID)
	if err != nil {
		return nil, fmt.Errorf("alloc runner: %w", err)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	ar := &AllocRunner{
		id:           cfg.Alloc.ID,
		logger:       logger.With("alloc_id", cfg.Alloc.ID),
		allocDir:     dir,
		onUpdate:     cfg.OnUpdate,
		waitCh:       make(chan struct{}),
		alloc:        cfg.Alloc.Copy(),
		clientStatus: structs.AllocClientPending,
		job:          cfg.Job,
		db:           cfg.State,
		restored:     cfg.Restore != nil,
		onRemove:     cfg.OnRemove,
		killedCh:     make(chan struct{}),
		previous:     cfg.Previous,
		lifecycle:    newLifecycle(group.Tasks),
		detachCh:     make(chan struct{}),

		lifecycleStopped: map[string]bool{},
	}
	var restored map[string]*structs.TaskState
	if cfg.Restore != nil {
		restored = map[string]*structs.TaskState{}
		for name, rec := range cfg.Restore.Tasks {
			if rec != nil {
				restored[name] = rec.State
			}
		}
	}
	ar.network, ar.netMgr = newAllocNetwork(group), cfg.Network
	if ar.network != nil {
		ar.netDNS, ar.netHostname = group.Network.DNS, group.Network.Hostname
		for _, t := range group.Tasks {
			ar.netSandboxed = ar.netSandboxed || t.Driver == "docker"
			ar.netAgent = ar.netAgent || t.MeshProxyService() != ""
		}
	}
	ar.gates = newGates(ar.lifecycle, group.Tasks, restored)
	ar.groupSvc, ar.groupName = newGroupServices(cfg.Services, group), group.Name
	wasHealthy := cfg.Restore != nil && cfg.Alloc.Healthy != nil && *cfg.Alloc.Healthy
	ar.health = newAllocHealth(cfg.Job, group, cfg.Alloc.DrainReplacement, wasHealthy)
	ar.health.recheck, ar.health.missed = ar.report, ar.healthDeadlineMissed
	for _, task := range group.Tasks {
		var restore *state.TaskRecord
		if cfg.Restore != nil {
			restore = cfg.Restore.Tasks[task.Name]
		}
		tcfg := &taskrunner.Config{
			Alloc:         ar.alloc,
			Task:          task.Copy(),
			AllocDir:      dir,
			Drivers:       cfg.Drivers,
			Logger:        ar.logger,
			OnStateChange: ar.taskStateChanged,
			Restart:       structs.EffectiveRestartPolicy(cfg.Job.Type, group.Restart, task.Restart),
			JobType:       cfg.Job.Type,
			Ephemeral:     task.IsEphemeral(),
			Restore:       restore,
			OnRemove:      ar.taskRemove,
			State:         ar.db,
			Services:      cfg.Services,
			Payload:       cfg.Job.Payload,
			Meta:          structs.MergedMeta(cfg.Job, group, task),
			Policy:        cfg.Policy,
			Volumes:       group.Volumes,
			HostVolumes:   cfg.HostVolumes,
			Node:          cfg.Node,
			Identities:    cfg.SignIdentities,
			Network:       ar.network,
			// The group's tasks share the network, so each reaches the
			// proxy's upstream listeners.
			ConnectUpstreams: group.ConnectUpstreams(),
		}
		tr, err := taskrunner.New(tcfg)
		if err != nil {
			return nil, fmt.Errorf("alloc runner: task %q: %w", task.Name, err)
		}
		ar.tasks = append(ar.tasks, tr)
	}
	return ar, nil
}

// ID is the allocation's ID.
func (ar *AllocRunner) ID() string { return ar.id }

// AllocDir is the allocation's directory layout.
func (ar *AllocRunner) AllocDir() *allocdir.AllocDir { return ar.allocDir }

// WaitCh is closed once every task of the allocation is dead.
func (ar *AllocRunner) WaitCh() <-chan struct{} { return ar.waitCh }

// Run starts the tasks (together, or each at its lifecycle turn) and
// returns when all of them are dead.
func (ar *AllocRunner) Run() {
	defer close(ar.waitCh)
	defer ar.health.stop()
	ar.health.begin(time.Now())
	defer ar.startRunLimit(time.Now())()
	if !ar.restored {
		ar.persistAlloc()
	}
	if err := ar.allocDir.Build(); err != nil {
		// Each task's own prestart fails on the missing directory and
		// records a Setup Failure, so the allocation ends up failed.
		ar.logger.Error("failed to build allocation directory", "error", err)
	}
	if !ar.restored {
		ar.takePreviousData()
	}
	ar.setupNetwork()
	defer ar.finishNetwork()
	ar.announceWaits()
	ar.report()
	var wg sync.WaitGroup
	for _, tr := range ar.tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ar.runTask(tr)
		}()
	}
	wg.Wait()
}

// Update takes a newer version of the allocation from the servers. A
// desired stop kills every task.
func (ar *AllocRunner) Update(alloc *structs.Allocation) {
	ar.mu.Lock()
	ar.alloc = alloc.Copy()
	ar.mu.Unlock()
	ar.persistAlloc()
	if alloc.DesiredStatus == structs.AllocDesiredStop {
		ar.Kill("allocation stopped by the servers")
	}
}

// Kill asks every task to stop and returns at once. Poststop tasks are
// spared: they run once the main tasks have stopped, which is what a
// stopped allocation has them for.
func (ar *AllocRunner) Kill(reason string) { ar.kill(reason, false) }

// KillAll is Kill without sparing the poststop tasks (those not yet
// started never start): for a runner that must end now.
func (ar *AllocRunner) KillAll(reason string) { ar.kill(reason, true) }

func (ar *AllocRunner) kill(reason string, poststopToo bool) {
	// The group's services leave Consul before any task gets a signal.
	if !ar.killedFlag.Swap(true) {
		close(ar.killedCh)
		ar.removeGroupServices()
	}
	for _, tr := range ar.tasks {
		if !poststopToo && ar.lifecycle.hooks[tr.TaskName()] == structs.LifecycleHookPoststop {
			continue
		}
		tr.Kill(reason)
	}
}

// Destroy kills every task, poststop tasks included, and waits until all
// are dead. The allocation directory (with the logs) stays on disk: the
// client's garbage collection (client/gc.go) removes it.
func (ar *AllocRunner) Destroy() {
	ar.KillAll("allocation destroyed")
	<-ar.waitCh
}

// AllocModifyIndex is the index of the allocation version the runner has.
func (ar *AllocRunner) AllocModifyIndex() uint64 {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return ar.alloc.AllocModifyIndex
}

// Alloc returns the allocation with the client's view filled in.
func (ar *AllocRunner) Alloc() *structs.Allocation {
	states := ar.taskStates()
	ar.mu.Lock()
	defer ar.mu.Unlock()
	a := ar.alloc.Copy()
	a.ClientStatus, a.ClientDescription = ar.clientStatus, ar.clientDesc
	a.TaskStates = states
	a.Healthy = ar.health.current()
	return a
}

// TaskState returns a copy of one task's state; ok is false for an
// unknown task.
func (ar *AllocRunner) TaskState(task string) (state *structs.TaskState, ok bool) {
	for _, tr := range ar.tasks {
		if tr.TaskName() == task {
			return tr.State(), true
		}
	}
	return nil, false
}

func (ar *AllocRunner) taskStates() map[string]*structs.TaskState {
	states := make(map[string]*structs.TaskState, len(ar.tasks))
	for _, tr := range ar.tasks {
		states[tr.TaskName()] = tr.State()
	}
	return states
}

// taskStateChanged is the task runners' callback.
func (ar *AllocRunner) taskStateChanged(task string) {
	ar.report()
}

// StopOnClientAfter is how long this client keeps the allocation running
// while it cannot reach the servers (stop_after_client_disconnect,
// disconnect.stop_on_client_after); 0: until the servers say otherwise.
func (ar *AllocRunner) StopOnClientAfter() time.Duration {
	if ar.job == nil {
		return 0
	}
	return ar.job.LookupGroup(ar.alloc.TaskGroup).StopOnClientAfter()
}

// Killed reports whether the allocation was told to stop.
func (ar *AllocRunner) Killed() bool { return ar.killedFlag.Load() }

// Report sends the allocation's current status again (the servers lost
// track of it while the node was disconnected).
func (ar *AllocRunner) Report() { ar.report() }

// report recomputes the client status and hands it to OnUpdate. When a
// task failed, its siblings are killed: a group runs together or not at all.
func (ar *AllocRunner) report() {
	ar.updateMu.Lock()
	defer ar.updateMu.Unlock()
	states := ar.taskStates()
	status, desc := ar.lifecycle.status(states)
	healthy, missed := ar.health.observe(time.Now(), status, states)
	desc = unhealthyDescription(desc, missed)
	desc = ar.runLimitDescription(status, desc)
	ar.syncGroupServices(status)
	ar.mu.Lock()
	ar.clientStatus, ar.clientDesc = status, desc
	ar.mu.Unlock()

	if status == structs.AllocClientFailed && !ar.siblingKilled {
		ar.siblingKilled = true
		ar.Kill("a sibling task failed")
	}
	ar.advanceLifecycle(states)
	if ar.onUpdate != nil {
		ar.onUpdate(&structs.AllocStatusUpdate{
			ID:                ar.id,
			ClientStatus:      status,
			ClientDescription: desc,
			TaskStates:        states,
			ModifyTime:        time.Now().UnixNano(),
			Healthy:           healthy,
		})
	}
}

// healthDeadlineMissed records on every task that the allocation did not
// become healthy within its healthy_deadline; each event is reported.
func (ar *AllocRunner) healthDeadlineMissed(desc string) {
	if ar.killedFlag.Load() {
		return // being stopped: the deadline no longer matters
	}
	ar.logger.Warn("allocation unhealthy", "reason", desc)
	for _, tr := range ar.tasks {
		tr.Emit(taskrunner.TaskEventUnhealthy, desc)
	}
}

// Job is the job at the version the allocation runs (never changed by the
// runner: do not modify it).
func (ar *AllocRunner) Job() *structs.Job { return ar.job }
