// Package consul is appmesh's Consul integration on the agent side: it
// keeps the services of running allocations (and of the agent itself)
// registered with the local Consul agent, runs script checks as TTL
// checks, repairs drift in a reconcile loop, and publishes the node's
// status to Consul KV under a session. The server side (topology, jobs
// from KV) is in server/consul_*.go.
package consul

import (
	"fmt"

	"github.com/hashicorp/consul/api"
)

// IDPrefix starts the ID of every service appmesh registers, so that it
// finds its own registrations among everything else in the Consul agent.
const IDPrefix = "_appmesh-"

// MetaOwner is the service meta key naming the appmesh node that
// registered a service: several appmesh agents may share one Consul agent,
// and each only cleans up its own.
const MetaOwner = "appmesh_node"

// APIConfig says how to reach the Consul agent.
type APIConfig struct {
	Address string // host:port or a URL; default 127.0.0.1:8500
	Token   string // ACL token; never logged
	TLS     bool
	CAFile  string
	Cert    string
	Key     string
	// InsecureSkipVerify disables certificate checks (tests only).
	InsecureSkipVerify bool
}

// NewAPI returns a Consul API client for cfg.
func NewAPI(cfg APIConfig) (*api.Client, error) {
	c := api.DefaultNonPooledConfig()
	if cfg.Address != "" {
		c.Address = cfg.Address
	}
	c.Token = cfg.Token
	if cfg.TLS {
		c.Scheme = "https"
		c.TLSConfig = api.TLSConfig{
			CAFile: cfg.CAFile, CertFile: cfg.Cert, KeyFile: cfg.Key,
			InsecureSkipVerify: cfg.InsecureSkipVerify,
		}
	}
	client, err := api.NewClient(c)
	if err != nil {
		return nil, fmt.Errorf("consul client for %s: %w", c.Address, err)
	}
	return client, nil
}
