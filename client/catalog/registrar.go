// Package catalog is the client's side of the built-in service catalog
// (`service { provider = "appmesh" }`): it registers the services of the
// node's allocations with the servers, runs their http, tcp and script
// checks here on the node and reports each instance's status, and looks
// services up for upstreams (and later templates). Router puts it next
// to the Consul integration behind the task runners' one interface.
package catalog

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/appmesh/appmesh/client/consul"
	"github.com/appmesh/appmesh/client/health"
	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// RPCFunc calls a server RPC on behalf of the node (client.Client.rpc).
type RPCFunc func(ctx context.Context, method string, args, reply any) error

// Config is what a Registrar needs.
type Config struct {
	RPC RPCFunc
	// NodeID and SecretID identify the node to the servers; the secret is
	// never logged.
	NodeID   string
	SecretID string
	// Address is where the node's instances are reached by others (the
	// agent's advertise address).
	Address string
	Logger  hclog.Logger
	// ResyncInterval re-sends every registration so that the catalog
	// heals after an operator deleted a live instance (0: 2 minutes).
	ResyncInterval time.Duration
}

// Registrar keeps the node's native service instances in the catalog.
type Registrar struct {
	cfg    Config
	logger hclog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	kick   chan struct{}

	mu        sync.Mutex
	workloads map[string]*workload // by consul.WorkloadKey
	pending   map[string]*structs.ServiceRegistration
	deletes   map[string]bool
}

// workload is the registered services of one task (or group).
type workload struct {
	regs     map[string]*structs.ServiceRegistration // by ID; replaced, never changed in place
	watchers []*health.Watcher
}

// New starts a registrar; Shutdown stops it.
func New(cfg Config) *Registrar {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.ResyncInterval <= 0 {
		cfg.ResyncInterval = 2 * time.Minute
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Registrar{
		cfg: cfg, logger: cfg.Logger.Named("catalog"), ctx: ctx, cancel: cancel,
		done: make(chan struct{}), kick: make(chan struct{}, 1),
		workloads: map[string]*workload{}, pending: map[string]*structs.ServiceRegistration{}, deletes: map[string]bool{},
	}
	go r.syncLoop()
	return r
}

// Shutdown stops the checks and the sync loop. Registrations stay in the
// catalog: the servers remove them when their allocations end, and a
// restarted agent re-registers what it re-attaches to.
func (r *Registrar) Shutdown() {
	r.mu.Lock()
	var ws []*health.Watcher
	for _, w := range r.workloads {
		ws = append(ws, w.watchers...)
	}
	r.mu.Unlock()
	for _, w := range ws {
		w.Stop()
	}
	r.cancel()
	<-r.done
}

// RegisterWorkload registers the workload's native services (the others
// are Consul's: see Router) and starts their checks. Registering a
// workload again replaces it.
func (r *Registrar) RegisterWorkload(w *consul.Workload) error {
	regs := map[string]*structs.ServiceRegistration{}
	var native []*structs.Service
	for _, s := range w.Services {
		if !s.IsNative() {
			continue
		}
		reg, err := r.registration(w, s)
		if err != nil {
			return err
		}
		regs[reg.ID] = reg
		native = append(native, s)
	}
	if len(regs) == 0 {
		return nil
	}
	r.RemoveWorkload(w.AllocID, w.Group, w.Task)
	wl := &workload{regs: regs}
	r.mu.Lock()
	r.workloads[w.Key()] = wl
	for id, reg := range regs {
		r.pending[id] = reg
		delete(r.deletes, id)
	}
	r.mu.Unlock()
	// The checks start after the workload is published, so that their
	// first verdict finds it; a removal in between is caught below.
	var ws []*health.Watcher
	for _, s := range native {
		if len(s.Checks) > 0 {
			ws = append(ws, r.startChecks(w, s, wl))
		}
	}
	r.mu.Lock()
	wl.watchers = ws
	gone := r.workloads[w.Key()] != wl
	r.mu.Unlock()
	if gone {
		for _, x := range ws {
			x.Stop()
		}
	}
	r.poke()
	r.logger.Debug("registered services", "workload", w.Key(), "services", len(regs))
	return nil
}

// registration builds one instance: passing without checks, critical
// until its checks pass otherwise.
func (r *Registrar) registration(w *consul.Workload, s *structs.Service) (*structs.ServiceRegistration, error) {
	port, err := portOf(w, s.Port)
	if err != nil {
		return nil, fmt.Errorf("service %q: %w", s.Name, err)
	}
	status := structs.ServiceStatusPassing
	if len(s.Checks) > 0 {
		status = structs.ServiceStatusCritical
	}
	return &structs.ServiceRegistration{
		ID: w.ServiceID(s), ServiceName: s.Name, NodeID: r.cfg.NodeID, JobID: w.JobID, AllocID: w.AllocID,
		JobVersion: w.JobVersion, Group: w.Group, Task: w.Task, Tags: append([]string(nil), s.Tags...),
		Address: r.cfg.Address, Port: port, Status: status,
	}, nil
}

// portOf resolves a port label of the allocation (or a number).
func portOf(w *consul.Workload, label string) (int, error) {
	if label == "" {
		return 0, nil
	}
	for _, p := range w.Ports {
		if p.Label == label {
			return p.Value, nil
		}
	}
	var n int
	if _, err := fmt.Sscanf(label, "%d", &n); err == nil && n > 0 && n < 65536 && fmt.Sprint(n) == label {
		return n, nil
	}
	return 0, fmt.Errorf("port %q is not allocated to the allocation", label)
}

// startChecks runs a service's checks; their verdict becomes the
// instance's status (passing only when every check passes).
func (r *Registrar) startChecks(w *consul.Workload, s *structs.Service, wl *workload) *health.Watcher {
	id := w.ServiceID(s)
	checks := make([]*structs.Check, len(s.Checks))
	for i, c := range s.Checks {
		cc := c.Copy()
		if cc.Port == "" {
			cc.Port = s.Port // a service's check probes the service's port by default
		}
		cc.CheckRestart = nil // restarts are the task's own checks' business
		checks[i] = cc
	}
	ports := map[string]int{}
	for _, p := range w.Ports {
		ports[p.Label] = p.Value
	}
	return health.Start(r.ctx, health.Config{
		Checks: checks, Ports: ports, Exec: execAdapter(w.Exec), Logger: r.logger.With("service", s.Name),
		// Probe where others will connect, not just loopback.
		Host: r.cfg.Address,
		OnChange: func(h string, _ []*structs.CheckStatus) {
			status := structs.ServiceStatusCritical
			if h == structs.HealthHealthy {
				status = structs.ServiceStatusPassing
			}
			r.setStatus(wl, id, status)
		},
	})
}

// setStatus records an instance's new status, unless its workload was
// removed or replaced meanwhile.
func (r *Registrar) setStatus(wl *workload, id, status string) {
	r.mu.Lock()
	old := wl.regs[id]
	live := old != nil && r.workloads[keyOf(old)] == wl
	if !live || old.Status == status {
		r.mu.Unlock()
		return
	}
	c := old.Copy()
	c.Status = status
	wl.regs[id] = c
	r.pending[id] = c
	r.mu.Unlock()
	r.logger.Debug("service status changed", "id", id, "status", status)
	r.poke()
}

func keyOf(reg *structs.ServiceRegistration) string {
	return consul.WorkloadKey(reg.AllocID, reg.Group, reg.Task)
}

// execAdapter runs script checks through the workload's exec.
func execAdapter(exec consul.ExecFunc) health.ExecFunc {
	if exec == nil {
		return nil
	}
	return func(cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout+5*time.Second)
		defer cancel()
		code, out, err := exec(ctx, cmd, timeout)
		if err != nil {
			return nil, err
		}
		return &drivers.ExecResult{ExitCode: code, Stdout: []byte(out)}, nil
	}
}

// RemoveWorkload deregisters a task's native services (or the group's own
// with task empty) and stops their checks. Idempotent.
func (r *Registrar) RemoveWorkload(allocID, group, task string) {
	key := consul.WorkloadKey(allocID, group, task)
	r.mu.Lock()
	wl := r.workloads[key]
	if wl == nil {
		r.mu.Unlock()
		return
	}
	delete(r.workloads, key)
	for id := range wl.regs {
		delete(r.pending, id)
		r.deletes[id] = true
	}
	watchers := wl.watchers
	r.mu.Unlock()
	// Outside the lock: a check reporting right now takes it.
	for _, w := range watchers {
		w.Stop()
	}
	r.poke()
}

func (r *Registrar) poke() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}
