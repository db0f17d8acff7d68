package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestACLLoginConfig: the acl block's login settings reach the servers'
// config, and bad ones are refused with the setting's name.
func TestACLLoginConfig(t *testing.T) {
	load := func(src string) (*Config, error) {
		path := filepath.Join(t.TempDir(), "agent.hcl")
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := DevConfig()
		if err := LoadConfigFile(path, cfg); err != nil {
			return nil, err
		}
		return cfg, cfg.Validate()
	}
	cfg, err := load(`acl {
  enabled           = true
  login_token_ttl   = "5m"
  login_session_ttl = "8h"
  login_lockout     = "30s"
}
`)
	if err != nil {
		t.Fatal(err)
	}
	lc := cfg.ACL.loginConfig()
	if lc.TokenTTL != 5*time.Minute || lc.SessionTTL != 8*time.Hour || lc.LockoutBase != 30*time.Second {
		t.Fatalf("login config %+v", lc)
	}
	for src, want := range map[string]string{
		`acl { login_token_ttl = "soon" }`:                                 `acl login_token_ttl "soon" is not a positive duration`,
		`acl { login_lockout = "-1m" }`:                                    `acl login_lockout "-1m" is not a positive duration`,
		"acl {\n login_token_ttl = \"2h\"\n login_session_ttl = \"1h\"\n}": "longer than login_session_ttl",
	} {
		if _, err := load(src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", src, err, want)
		}
	}
	if def, err := load(`acl { enabled = true }`); err != nil || def.ACL.loginConfig().TokenTTL != 0 || def.ACL.loginConfig().LockoutBase != 0 {
		t.Fatalf("unset login settings: %+v %v", def.ACL.loginConfig(), err)
	}
}
