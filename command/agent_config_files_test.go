package command

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mitchellh/cli"
)

// TestAgentReadsEveryConfigFile: -config may be given more than once; the
// files are read in order, a later one winning where both set something,
// and the flags win over all of them.
func TestAgentReadsEveryConfigFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := write("a.hcl", "datacenter = \"dc-a\"\nlog_level = \"WARN\"\nserver {\n  enabled = true\n  failover_heartbeat_ttl = \"20s\"\n}\n")
	second := write("b.hcl", "datacenter = \"dc-b\"\nacl {\n  enabled = true\n}\n")
	c := &AgentCommand{UI: cli.NewMockUi()}
	cfg, err := c.parseFlags([]string{"-config", first, "-config", second, "-log-level", "DEBUG", "-data-dir", dir})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Datacenter != "dc-b" {
		t.Errorf("datacenter %q: the later file must win", cfg.Datacenter)
	}
	if cfg.Server.FailoverHeartbeatTTL != "20s" || !cfg.ACL.Enabled {
		t.Errorf("a setting of one file was lost: failover_heartbeat_ttl=%q acl=%v", cfg.Server.FailoverHeartbeatTTL, cfg.ACL.Enabled)
	}
	if cfg.LogLevel != "DEBUG" {
		t.Errorf("log level %q: the flag must win over the files", cfg.LogLevel)
	}
}
