package agent

import (
	"fmt"
	"net"
	"strconv"

	"github.com/hashicorp/go-hclog"
)

// securityWarnings are the unsafe choices in a configuration that still
// starts: each says what is exposed and how to fix it. The operator may
// mean it (a lab, a firewall in front), so they are warnings, not errors.
func (c *Config) securityWarnings() []string {
	if !c.Server.Enabled {
		return nil
	}
	var out []string
	aclOn := c.ACL != nil && c.ACL.Enabled
	if ip := net.ParseIP(c.BindAddr); !aclOn && ip != nil && !ip.IsLoopback() {
		out = append(out, fmt.Sprintf("ACLs are disabled and the agent listens on %s: anyone who can reach its HTTP API (port %d) can run any command as root on every client, read every log and stop every job. "+
			"Enable ACLs (acl { enabled = true }, then appmesh acl bootstrap) or bind to 127.0.0.1 (-bind).", c.BindAddr, c.Ports.HTTP))
	}
	if (c.Server.BootstrapExpect > 1 || len(c.Server.Join) > 0) && c.Server.JoinToken == "" && !c.TLS.rpcOn() {
		why := "bootstrap_expect = " + strconv.Itoa(c.Server.BootstrapExpect)
		if c.Server.BootstrapExpect <= 1 {
			why = "join is set"
		}
		out = append(out, fmt.Sprintf("several servers are configured (%s) but server.join_token is not set: any machine that reaches the gossip and RPC ports can join as a server and read or rewrite the cluster's state. "+
			"Set the same join_token on every server, or turn on tls { rpc = true } with server certificates.", why))
	}
	return out
}

// logSecurityWarnings logs securityWarnings at start-up.
func logSecurityWarnings(c *Config, logger hclog.Logger) {
	for _, w := range c.securityWarnings() {
		logger.Warn("SECURITY: " + w)
	}
}
