package agent

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// /v1/agent/self shows the configuration without its secrets: every
// setting that holds a token shows as "<redacted>", the rest as set.
func TestSelfRedactsSecrets(t *testing.T) {
	file := filepath.Join(t.TempDir(), "agent.hcl")
	src := `
datacenter = "dc-redact"
server {
  enabled    = true
  join_token = "join-secret-1234"
}
consul {
  address = "127.0.0.1:8500"
  token   = "consul-secret-5678"
}
client {
  user_denylist = ["root"]
}
`
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if err := LoadConfigFile(file, cfg); err != nil {
		t.Fatal(err)
	}
	a := &Agent{config: cfg}
	b, err := json.Marshal(a.Self())
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, secret := range []string{"join-secret-1234", "consul-secret-5678"} {
		if strings.Contains(out, secret) {
			t.Fatalf("/v1/agent/self shows the secret %q:\n%s", secret, out)
		}
	}
	var self struct {
		Config struct {
			Datacenter string `json:"datacenter"`
			Server     struct {
				JoinToken string `json:"join_token"`
			} `json:"server"`
			Consul struct {
				Token   string `json:"token"`
				Address string `json:"address"`
			} `json:"consul"`
			Client struct {
				UserDenylist []string `json:"user_denylist"`
			} `json:"client"`
		} `json:"config"`
	}
	if err := json.Unmarshal(b, &self); err != nil {
		t.Fatal(err)
	}
	c := self.Config
	if c.Server.JoinToken != Redacted || c.Consul.Token != Redacted {
		t.Fatalf("join_token %q, consul token %q: want %q\n%s", c.Server.JoinToken, c.Consul.Token, Redacted, out)
	}
	if c.Datacenter != "dc-redact" || c.Consul.Address != "127.0.0.1:8500" || len(c.Client.UserDenylist) != 1 {
		t.Fatalf("settings that are not secrets are missing:\n%s", out)
	}
}

// Secrets are recognised by their setting's name, so that one added later
// is hidden too.
func TestSecretSettingNames(t *testing.T) {
	for name, want := range map[string]bool{
		"token": true, "join_token": true, "replication_token": true, "client_secret": true,
		"password": true, "encrypt": true, "token_ttl": false, "address": false, "key_file": false,
	} {
		if got := secretSetting(name); got != want {
			t.Errorf("secretSetting(%q) = %v, want %v", name, got, want)
		}
	}
}
