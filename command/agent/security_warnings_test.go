package agent

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestSecurityWarningsAreLogged(t *testing.T) {
	const noACL = "ACLs are disabled and the agent listens on"
	const noJoinToken = "server.join_token is not set"
	cases := []struct {
		name string
		set  func(c *Config)
		want []string // substrings, one per expected warning
	}{
		{"server on 0.0.0.0 without ACLs", func(c *Config) { c.Server.Enabled = true }, []string{noACL + " 0.0.0.0", "port 6060"}},
		{"server on a LAN address without ACLs", func(c *Config) { c.Server.Enabled = true; c.BindAddr = "10.1.2.3" }, []string{noACL + " 10.1.2.3"}},
		{"server with ACLs", func(c *Config) { c.Server.Enabled = true; c.ACL.Enabled = true }, nil},
		{"server on loopback", func(c *Config) { c.Server.Enabled = true; c.BindAddr = "127.0.0.1" }, nil},
		{"client only", func(c *Config) { c.Client.Enabled = true }, nil},
		{"dev agent", func(c *Config) { *c = *DevConfig() }, nil},
		{"dev agent on 0.0.0.0", func(c *Config) { *c = *DevConfig(); c.BindAddr = "0.0.0.0" }, []string{noACL}},
		{"three servers without join token", func(c *Config) {
			c.Server.Enabled, c.ACL.Enabled, c.Server.BootstrapExpect = true, true, 3
		}, []string{noJoinToken, "bootstrap_expect = 3"}},
		{"joining server without join token", func(c *Config) {
			c.Server.Enabled, c.ACL.Enabled, c.Server.Join = true, true, []string{"10.0.0.1"}
		}, []string{noJoinToken, "join is set"}},
		{"three servers with join token", func(c *Config) {
			c.Server.Enabled, c.ACL.Enabled, c.Server.BootstrapExpect, c.Server.JoinToken = true, true, 3, "s3cret"
		}, nil},
		{"three servers with mutual TLS", func(c *Config) {
			c.Server.Enabled, c.ACL.Enabled, c.Server.BootstrapExpect, c.TLS = true, true, 3, &TLSConfig{RPC: true}
		}, nil},
		{"both problems", func(c *Config) { c.Server.Enabled, c.Server.BootstrapExpect = true, 3 }, []string{noACL, noJoinToken}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.set(cfg)
			var buf bytes.Buffer
			logSecurityWarnings(cfg, hclog.New(&hclog.LoggerOptions{Output: &buf, Level: hclog.Info}))
			out := buf.String()
			if len(tc.want) == 0 {
				if out != "" {
					t.Fatalf("unexpected warnings:\n%s", out)
				}
				return
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("log lacks %q:\n%s", w, out)
				}
			}
			if !strings.Contains(out, "[WARN]") || !strings.Contains(out, "SECURITY:") {
				t.Errorf("want WARN lines starting with SECURITY:\n%s", out)
			}
			t.Log(out)
		})
	}
}
