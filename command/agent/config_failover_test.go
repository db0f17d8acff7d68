package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServerFailoverHeartbeatTTL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.hcl")
	src := "server {\n  enabled = true\n  failover_heartbeat_ttl = \"7m\"\n}\n"
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
	if got := cfg.Server.failoverHeartbeatTTL(); got != 7*time.Minute {
		t.Fatalf("failover ttl = %v, want 7m", got)
	}
	for _, bad := range []string{"soon", "-1m", "0s"} {
		cfg.Server.FailoverHeartbeatTTL = bad
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "failover_heartbeat_ttl") {
			t.Fatalf("%q: want a failover_heartbeat_ttl error, got %v", bad, err)
		}
	}
}
