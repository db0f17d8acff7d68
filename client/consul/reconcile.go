package consul

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/consul/api"
)

// Run repairs drift until ctx ends: every ReconcileInterval, and at once
// after a failed call. While Consul is down it retries with a back-off
// that grows to the interval, logging the outage once and the recovery.
func (c *ServiceClient) Run(ctx context.Context) {
	backoff := minBackoff
	// The first pass waits an interval: a restarted agent re-registers the
	// tasks it re-attaches to before stale services are swept.
	wait := c.cfg.ReconcileInterval
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-c.kick:
			t.Stop()
		}
		if err := c.Reconcile(ctx); err != nil {
			c.setDown(err)
			wait = backoff
			backoff = min(2*backoff, c.cfg.ReconcileInterval)
			continue
		}
		backoff, wait = minBackoff, c.cfg.ReconcileInterval
	}
}

// Reconcile makes the Consul agent hold exactly the desired services of
// this node: missing ones (or ones that lost a check) are registered,
// appmesh's services no longer wanted are removed.
func (c *ServiceClient) Reconcile(ctx context.Context) error {
	opts := (&api.QueryOptions{}).WithContext(ctx)
	have, err := c.api.Agent().ServicesWithFilterOpts("", opts)
	if err != nil {
		return fmt.Errorf("list consul services: %w", err)
	}
	checks, err := c.api.Agent().ChecksWithFilterOpts("", opts)
	if err != nil {
		return fmt.Errorf("list consul checks: %w", err)
	}
	c.mu.Lock()
	var missing []*api.AgentServiceRegistration
	for id, reg := range c.desired {
		if _, ok := have[id]; !ok || lacksCheck(reg, checks) {
			missing = append(missing, reg)
		}
	}
	var stale []string
	for id, s := range have {
		if _, ok := c.desired[id]; !ok && strings.HasPrefix(id, IDPrefix) && s.Meta[MetaOwner] == c.cfg.Node {
			stale = append(stale, id)
		}
	}
	c.mu.Unlock()
	for _, reg := range missing {
		if err := c.api.Agent().ServiceRegisterOpts(reg, api.ServiceRegisterOpts{}.WithContext(ctx)); err != nil {
			return fmt.Errorf("register service %s: %w", reg.ID, err)
		}
		c.logger.Info("re-registered service with consul", "service", reg.Name, "service_id", reg.ID)
	}
	for _, id := range stale {
		if err := c.api.Agent().ServiceDeregisterOpts(id, opts); err != nil && !isNotFound(err) {
			return fmt.Errorf("deregister service %s: %w", id, err)
		}
		c.logger.Info("removed stale service from consul", "service_id", id)
	}
	c.setUp()
	return nil
}

// lacksCheck reports a desired check missing from the agent.
func lacksCheck(reg *api.AgentServiceRegistration, checks map[string]*api.AgentCheck) bool {
	for _, ch := range reg.Checks {
		if _, ok := checks[ch.CheckID]; !ok {
			return true
		}
	}
	return false
}

// setUp logs the end of an outage.
func (c *ServiceClient) setUp() {
	c.mu.Lock()
	was := c.down
	c.down = false
	c.mu.Unlock()
	if was {
		c.logger.Info("consul agent reachable again; services are in sync")
	}
}

// Desired returns the IDs of the services this client keeps registered.
func (c *ServiceClient) Desired() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]string, 0, len(c.desired))
	for id := range c.desired {
		ids = append(ids, id)
	}
	return ids
}
