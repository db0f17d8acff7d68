package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConsulConfigBlock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.hcl")
	src := `consul {
  address              = "10.0.0.1:8500"
  token                = "s3cr3t-token"
  auto_advertise       = false
  checks_use_advertise = true
  watch_tasks          = true
  session_ttl          = "20s"
  connect              = true
  tls {
    ca_file = "/ca.pem"
  }
}
`
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
	c := cfg.Consul
	if !c.On() || c.Address != "10.0.0.1:8500" || c.KVPrefix != "appmesh" || c.Advertise() || !c.ChecksUseAdvertise || !c.WatchTasks || !c.Connect || c.TLS == nil || c.TLS.CAFile != "/ca.pem" {
		t.Fatalf("consul config %+v", c)
	}
	if _, ttl, err := c.durations(); err != nil || ttl.String() != "20s" {
		t.Fatalf("session ttl %v (%v)", ttl, err)
	}
	if s := c.String(); strings.Contains(s, "s3cr3t") {
		t.Fatalf("the token leaks into %q", s)
	}
	if c.KVFormat != "native" {
		t.Fatalf("kv_format defaults to native, got %q", c.KVFormat)
	}
	c.KVFormat = "appmesh"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("kv_format appmesh: %v", err)
	}
	c.KVFormat = "appmgr"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `kv_format "appmgr"`) {
		t.Fatalf("want a kv_format error, got %v", err)
	}
	c.KVFormat = "native"
	c.SessionTTL = "1s"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "session_ttl") {
		t.Fatalf("want a session_ttl error, got %v", err)
	}
	off := false
	cfg.Consul = &ConsulConfig{Enabled: &off}
	if cfg.Consul.On() {
		t.Fatal("enabled = false must turn the integration off")
	}
}
