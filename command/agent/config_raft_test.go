package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServerRaftMultiplier(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.hcl")
	src := "server {\n  enabled = true\n  raft_multiplier = 5\n}\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DevConfig()
	if err := LoadConfigFile(path, cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Server.RaftMultiplier != 5 {
		t.Fatalf("raft_multiplier = %d, want 5", cfg.Server.RaftMultiplier)
	}
	for _, bad := range []int{-1, 11, 1000} {
		cfg.Server.RaftMultiplier = bad
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "raft_multiplier") || !strings.Contains(err.Error(), "out of range") {
			t.Fatalf("%d: want a raft_multiplier range error, got %v", bad, err)
		}
	}
}
