package consul

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"
)

// Defaults of the service client.
const (
	DefaultReconcileInterval = 30 * time.Second
	// syncTimeout bounds one direct (de)registration call, so that a down
	// Consul never holds up a task's start or kill for long.
	syncTimeout = 5 * time.Second
	minBackoff  = time.Second
)

// ServiceConfig configures a ServiceClient.
type ServiceConfig struct {
	API *api.Client
	// Node is the appmesh node name, stored in each service's meta so
	// that agents sharing a Consul agent leave each other's services.
	Node string
	// Address is the address services and their checks are advertised on.
	Address string
	// ReconcileInterval is how often drift is repaired.
	ReconcileInterval time.Duration
	Logger            hclog.Logger
	// Connect registers every connect service with its sidecar proxy as a
	// Consul Connect service (agent config `consul { connect = true }`):
	// Consul is then the mesh of those services (connect.go).
	Connect bool
}

// ServiceClient keeps appmesh's services registered with the local Consul
// agent: a desired set (workloads and agent services) is registered at
// once and then repaired by a reconcile loop, which also removes services
// with appmesh's ID prefix that are no longer wanted.
type ServiceClient struct {
	cfg    ServiceConfig
	api    *api.Client
	logger hclog.Logger
	kick   chan struct{}

	mu      sync.Mutex
	desired map[string]*api.AgentServiceRegistration // service ID → registration
	scripts map[string]*scriptCheck                  // check ID → runner
	down    bool                                     // Consul unreachable; logged once
}

// NewServiceClient returns a client; Run starts its reconcile loop.
func NewServiceClient(cfg ServiceConfig) *ServiceClient {
	if cfg.ReconcileInterval <= 0 {
		cfg.ReconcileInterval = DefaultReconcileInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	return &ServiceClient{
		cfg: cfg, api: cfg.API, logger: cfg.Logger.Named("consul"),
		kick:    make(chan struct{}, 1),
		desired: map[string]*api.AgentServiceRegistration{},
		scripts: map[string]*scriptCheck{},
	}
}

// RegisterWorkload registers the workload's services and starts its
// script checks. A Consul that cannot be reached is not an error: the
// reconcile loop registers them once it is back.
func (c *ServiceClient) RegisterWorkload(w *Workload) error {
	var regs []*api.AgentServiceRegistration
	for _, s := range w.Services {
		reg, err := w.registration(s, c.cfg.Address, c.cfg.Node)
		if err != nil {
			return fmt.Errorf("consul: %s %q: %w", kindOf(w), w.Owner(), err)
		}
		regs = append(regs, reg)
		if c.cfg.Connect && s.HasSidecar() {
			side, err := w.sidecarRegistration(s, reg, c.cfg.Address, c.cfg.Node)
			if err != nil {
				return fmt.Errorf("consul: %s %q: %w", kindOf(w), w.Owner(), err)
			}
			regs = append(regs, side)
		}
	}
	c.mu.Lock()
	for _, reg := range regs {
		c.desired[reg.ID] = reg
	}
	c.startScripts(w)
	c.mu.Unlock()
	for _, reg := range regs {
		c.register(reg)
	}
	return nil
}

// RemoveWorkload deregisters the services of one task or group of an
// allocation, waiting (bounded) for Consul to confirm.
func (c *ServiceClient) RemoveWorkload(allocID, group, task string) {
	prefix := WorkloadKey(allocID, group, task)
	var ids []string
	c.mu.Lock()
	for id := range c.desired {
		if strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
			delete(c.desired, id)
		}
	}
	for id, sc := range c.scripts {
		if strings.HasPrefix(id, prefix) {
			sc.stop()
			delete(c.scripts, id)
		}
	}
	c.mu.Unlock()
	for _, id := range ids {
		c.deregister(id)
	}
}

// RegisterAgentService registers one service of the agent itself; its ID
// must start with IDPrefix.
func (c *ServiceClient) RegisterAgentService(reg *api.AgentServiceRegistration) error {
	if !strings.HasPrefix(reg.ID, IDPrefix) {
		return fmt.Errorf("consul: service ID %q must start with %q", reg.ID, IDPrefix)
	}
	if reg.Meta == nil {
		reg.Meta = map[string]string{}
	}
	reg.Meta[MetaOwner] = c.cfg.Node
	c.mu.Lock()
	c.desired[reg.ID] = reg
	c.mu.Unlock()
	c.register(reg)
	return nil
}

// RemoveAgentService deregisters one of the agent's own services.
func (c *ServiceClient) RemoveAgentService(id string) {
	c.mu.Lock()
	delete(c.desired, id)
	c.mu.Unlock()
	c.deregister(id)
}

// register sends one registration; a failure is left to the reconciler.
func (c *ServiceClient) register(reg *api.AgentServiceRegistration) {
	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
	defer cancel()
	err := c.api.Agent().ServiceRegisterOpts(reg, api.ServiceRegisterOpts{}.WithContext(ctx))
	c.noteResult(err, "register service", reg.ID)
}

func (c *ServiceClient) deregister(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
	defer cancel()
	err := c.api.Agent().ServiceDeregisterOpts(id, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil && isNotFound(err) {
		err = nil
	}
	c.noteResult(err, "deregister service", id)
}

// noteResult logs a failure (the outage only once) and wakes the
// reconciler to retry.
func (c *ServiceClient) noteResult(err error, what, id string) {
	if err == nil {
		return
	}
	c.setDown(err)
	c.logger.Debug("consul call failed; the reconcile loop retries", "op", what, "service_id", id, "error", err)
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// setDown logs the first failure of an outage.
func (c *ServiceClient) setDown(err error) {
	c.mu.Lock()
	first := !c.down
	c.down = true
	c.mu.Unlock()
	if first {
		c.logger.Warn("consul agent unreachable; services will be synced when it is back", "error", err)
	}
}

// isNotFound reports a 404 from Consul (e.g. an unknown service).
func isNotFound(err error) bool {
	var se api.StatusError
	return errors.As(err, &se) && se.Code == 404
}

func kindOf(w *Workload) string {
	if w.Task != "" {
		return "task"
	}
	return "group"
}
