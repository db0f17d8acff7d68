package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServerMeshCAConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.hcl")
	src := "server {\n  enabled = true\n  mesh_trust_domain = \"prod.example\"\n  mesh_leaf_ttl = \"24h\"\n}\n"
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
	if got := cfg.Server.meshCAConfig(); got.TrustDomain != "prod.example" || got.LeafTTL != 24*time.Hour {
		t.Fatalf("mesh CA config %+v", got)
	}
	for field, bad := range map[string][2]string{
		"mesh_trust_domain": {"Prod Example", ""},
		"mesh_leaf_ttl":     {"", "10s"},
	} {
		cfg.Server.MeshTrustDomain, cfg.Server.MeshLeafTTL = bad[0], bad[1]
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), field) {
			t.Fatalf("%v: want a %s error, got %v", bad, field, err)
		}
	}
}
