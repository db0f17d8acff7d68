package consul

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/hashicorp/consul/api"
)

// discoveryWait bounds one blocking query for a service's instances.
const discoveryWait = 5 * time.Minute

// Instance is one healthy instance of a service, as tasks see it.
type Instance struct {
	ID      string
	Node    string
	Address string
	Port    int
	Tags    []string
}

// Healthy returns the passing instances of a service, sorted by address
// and port, and the Consul index of the answer. With waitIndex > 0 it
// blocks until the answer changes (or Consul's wait ends).
func (c *ServiceClient) Healthy(ctx context.Context, service, tag string, waitIndex uint64) ([]Instance, uint64, error) {
	opts := (&api.QueryOptions{WaitIndex: waitIndex, WaitTime: discoveryWait}).WithContext(ctx)
	entries, meta, err := c.api.Health().Service(service, tag, true, opts)
	if err != nil {
		return nil, 0, fmt.Errorf("consul: healthy instances of %q: %w", service, err)
	}
	out := make([]Instance, 0, len(entries))
	for _, e := range entries {
		addr := e.Service.Address
		if addr == "" {
			addr = e.Node.Address
		}
		out = append(out, Instance{ID: e.Service.ID, Node: e.Node.Node, Address: addr, Port: e.Service.Port, Tags: e.Service.Tags})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Address != out[j].Address {
			return out[i].Address < out[j].Address
		}
		return out[i].Port < out[j].Port
	})
	return out, meta.LastIndex, nil
}
