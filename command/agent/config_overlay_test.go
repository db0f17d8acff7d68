package agent

import (
	"os"
	"path/filepath"
	"testing"
)

// A config file that adds a client block to -dev keeps -dev's enabled
// client and raw_exec (before, the file's block replaced -dev's whole and
// the agent started without a client); what the file sets wins.
func TestConfigFileOverlaysDevBlockByField(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.hcl")
	src := "client {\n  meta = { rack = \"r1\" }\n}\nserver {\n  raft_multiplier = 2\n}\nlog_level = \"warn\"\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DevConfig()
	if err := LoadConfigFile(path, cfg); err != nil {
		t.Fatal(err)
	}
	if !cfg.Client.Enabled || !cfg.Client.RawExec {
		t.Errorf("client enabled %v, raw_exec %v: -dev's values lost under the file's client block", cfg.Client.Enabled, cfg.Client.RawExec)
	}
	if cfg.Client.Meta["rack"] != "r1" {
		t.Errorf("client meta %v: the file's value lost", cfg.Client.Meta)
	}
	if !cfg.Server.Enabled || cfg.Server.BootstrapExpect != 1 || cfg.Server.RaftMultiplier != 2 {
		t.Errorf("server %+v: want -dev's enabled and bootstrap_expect with the file's raft_multiplier", *cfg.Server)
	}
	if cfg.LogLevel != "warn" || cfg.BindAddr != "127.0.0.1" {
		t.Errorf("log level %q, bind %q: want the file's level and -dev's address", cfg.LogLevel, cfg.BindAddr)
	}
}
