package agent

import (
	"fmt"
	"time"
)

// failoverHeartbeatTTL reads server.failover_heartbeat_ttl; empty means
// the server's default (server.DefaultFailoverHeartbeatTTL), and
// failoverProblems reports an invalid value before the agent starts.
func (c *ServerConfig) failoverHeartbeatTTL() time.Duration {
	d, err := time.ParseDuration(c.FailoverHeartbeatTTL)
	if err != nil || d <= 0 {
		return 0
	}
	return d
}

// failoverProblems validates server.failover_heartbeat_ttl.
func (c *ServerConfig) failoverProblems() []string {
	if c.FailoverHeartbeatTTL == "" {
		return nil
	}
	d, err := time.ParseDuration(c.FailoverHeartbeatTTL)
	if err != nil || d <= 0 {
		return []string{fmt.Sprintf("server failover_heartbeat_ttl %q is not a positive duration (e.g. \"5m\")", c.FailoverHeartbeatTTL)}
	}
	return nil
}
