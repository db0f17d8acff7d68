package agent

import (
	"fmt"
	"strings"
	"time"

	"github.com/appmesh/appmesh/server"
)

// ConsulConfig is the agent's `consul` block (website/consul.md):
//
//	consul {
//	  address        = "127.0.0.1:8500"
//	  token          = "..."             # never logged
//	  kv_prefix      = "appmesh"
//	  auto_advertise = true              # register appmesh-server/-client
//	  watch_tasks    = false             # jobs from <kv_prefix>/cluster/tasks/
//	  kv_format      = "native"          # or "appmesh": App Mesh's topology keys
//	  connect        = false             # Consul is the mesh of consul-provider services
//	}
type ConsulConfig struct {
	// Enabled turns the integration on; a consul block without
	// `enabled = false` enables it.
	Enabled *bool  `hcl:"enabled,optional"`
	Address string `hcl:"address,optional"`
	// Token is the Consul ACL token. It is never logged or shown by
	// /v1/agent/self.
	Token    string `hcl:"token,optional"`
	KVPrefix string `hcl:"kv_prefix,optional"`
	// TLS: https to the Consul agent, with an optional CA and client cert.
	TLS *ConsulTLS `hcl:"tls,block"`
	// AutoAdvertise registers the agent itself (appmesh-server,
	// appmesh-client) with an HTTP check on its API. Default true.
	AutoAdvertise *bool `hcl:"auto_advertise,optional"`
	// ChecksUseAdvertise makes Consul's checks of the agent use the
	// advertise address instead of the bind address.
	ChecksUseAdvertise bool `hcl:"checks_use_advertise,optional"`
	// WatchTasks (leader only) runs the jobs defined as JSON under
	// <kv_prefix>/cluster/tasks/.
	WatchTasks bool `hcl:"watch_tasks,optional"`
	// KVFormat is the shape of the topology keys the leader writes:
	// "native" (default) or "appmesh" (App Mesh's list). Task keys are
	// read in both formats either way.
	KVFormat string `hcl:"kv_format,optional"`
	// ReconcileInterval is how often registrations are checked against the
	// Consul agent (default 30s).
	ReconcileInterval string `hcl:"reconcile_interval,optional"`
	// SessionTTL is the TTL of the session that holds the node's KV key
	// (default 15s): a dead node's key disappears within it.
	SessionTTL string `hcl:"session_ttl,optional"`
	// Connect makes Consul the mesh of connect services whose provider is
	// Consul: they register as Connect services with their sidecar, and
	// their proxies take leaves, roots, intentions and instances from
	// Consul (website/mesh.md, "Consul Connect").
	Connect bool `hcl:"connect,optional"`
}

// ConsulTLS configures https to the Consul agent.
type ConsulTLS struct {
	CAFile             string `hcl:"ca_file,optional"`
	CertFile           string `hcl:"cert_file,optional"`
	KeyFile            string `hcl:"key_file,optional"`
	InsecureSkipVerify bool   `hcl:"insecure_skip_verify,optional"`
}

// Defaults of the consul block.
const (
	DefaultConsulAddress           = "127.0.0.1:8500"
	DefaultConsulKVPrefix          = "appmesh"
	DefaultConsulReconcileInterval = 30 * time.Second
	DefaultConsulSessionTTL        = 15 * time.Second
)

// On reports whether the integration is enabled.
func (c *ConsulConfig) On() bool { return c != nil && (c.Enabled == nil || *c.Enabled) }

// Advertise reports whether the agent registers itself.
func (c *ConsulConfig) Advertise() bool { return c.AutoAdvertise == nil || *c.AutoAdvertise }

// canonicalize fills in defaults.
func (c *ConsulConfig) canonicalize() {
	if c.Address == "" {
		c.Address = DefaultConsulAddress
	}
	if c.KVPrefix == "" {
		c.KVPrefix = DefaultConsulKVPrefix
	}
	c.KVPrefix = strings.Trim(c.KVPrefix, "/")
	if c.KVFormat == "" {
		c.KVFormat = server.KVFormatNative
	}
}

// checkKVFormat refuses an unknown kv_format.
func (c *ConsulConfig) checkKVFormat() error {
	switch c.KVFormat {
	case server.KVFormatNative, server.KVFormatAppMesh:
		return nil
	}
	return fmt.Errorf("consul: kv_format %q is not %q or %q", c.KVFormat, server.KVFormatNative, server.KVFormatAppMesh)
}

// durations parses the reconcile interval and the session TTL.
func (c *ConsulConfig) durations() (reconcile, ttl time.Duration, err error) {
	reconcile, ttl = DefaultConsulReconcileInterval, DefaultConsulSessionTTL
	if c.ReconcileInterval != "" {
		if reconcile, err = time.ParseDuration(c.ReconcileInterval); err != nil || reconcile <= 0 {
			return 0, 0, fmt.Errorf("consul: reconcile_interval %q is not a positive duration", c.ReconcileInterval)
		}
	}
	if c.SessionTTL != "" {
		// Consul accepts session TTLs between 10s and 24h.
		if ttl, err = time.ParseDuration(c.SessionTTL); err != nil || ttl < 10*time.Second || ttl > 24*time.Hour {
			return 0, 0, fmt.Errorf("consul: session_ttl %q must be a duration between 10s and 24h", c.SessionTTL)
		}
	}
	return reconcile, ttl, nil
}

// String describes the block for logs, without the token.
func (c *ConsulConfig) String() string {
	if !c.On() {
		return "consul disabled"
	}
	return fmt.Sprintf("consul %s (kv_prefix %q, connect: %t, token set: %t)", c.Address, c.KVPrefix, c.Connect, c.Token != "")
}
