package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/tlsutil"
)

// The tls block is read from the config file and checked at validation: a
// missing file, a certificate of another CA and a server with a client
// certificate are refused with what to do.
func TestTLSConfig_LoadAndValidate(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ca, key, err := tlsutil.GenerateCA(tlsutil.CAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	caFile := write("ca.pem", ca)
	certs := map[string][2]string{}
	for _, role := range []string{tlsutil.RoleServer, tlsutil.RoleClient} {
		c, k, err := tlsutil.GenerateCert(tlsutil.CertOptions{Role: role, CACert: ca, CAKey: key})
		if err != nil {
			t.Fatal(err)
		}
		certs[role] = [2]string{write(role+".pem", c), write(role+"-key.pem", k)}
	}
	hcl := `tls {
  http = true
  rpc  = true
  ca_file   = "` + caFile + `"
  cert_file = "` + certs["server"][0] + `"
  key_file  = "` + certs["server"][1] + `"
  verify_server_hostname = true
  verify_https_client    = true
}
server {
  enabled = true
  encrypt = "c2VjcmV0LWtleS1vZi0zMi1ieXRlcy1sb25nLi4uLi4="
}
`
	cfg := DefaultConfig()
	cfg.DataDir = dir
	if err := LoadConfigFile(write("agent.hcl", []byte(hcl)), cfg); err != nil {
		t.Fatal(err)
	}
	if !cfg.TLS.HTTP || !cfg.TLS.RPC || !cfg.TLS.VerifyServerHostname || !cfg.TLS.VerifyHTTPSClient || cfg.Server.Encrypt == "" {
		t.Fatalf("tls block read as %+v, encrypt %q", cfg.TLS, cfg.Server.Encrypt)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("a valid tls block: %v", err)
	}
	if v := cfg.redactedView()["server"].(map[string]any)["encrypt"]; v != Redacted {
		t.Fatalf("/v1/agent/self shows the gossip key as %v", v)
	}

	for name, tc := range map[string]struct {
		mut  func(*TLSConfig)
		want string
	}{
		"missing key file":       {func(c *TLSConfig) { c.KeyFile = "" }, "key_file is required"},
		"nonexistent CA":         {func(c *TLSConfig) { c.CAFile = filepath.Join(dir, "nope.pem") }, "ca_file"},
		"client cert for server": {func(c *TLSConfig) { c.CertFile, c.KeyFile = certs["client"][0], certs["client"][1] }, "does not carry the name server.global.appmesh"},
		"other region":           {func(c *TLSConfig) { c.Region = "eu" }, "server.eu.appmesh"},
	} {
		c := *cfg
		tc2 := *cfg.TLS
		tc.mut(&tc2)
		c.TLS = &tc2
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %q", name, err, tc.want)
		}
	}
	bad := *cfg
	bad.Server = &ServerConfig{Enabled: true, Encrypt: "c2hvcnQ="}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "5 bytes long, want 32") {
		t.Errorf("a short gossip key: %v", err)
	}
	// A client-only agent may hold a client certificate.
	c := *cfg
	c.Server = &ServerConfig{}
	c.Client = &ClientConfig{Enabled: true, Servers: []string{"127.0.0.1:6061"}}
	tc := *cfg.TLS
	tc.CertFile, tc.KeyFile = certs["client"][0], certs["client"][1]
	c.TLS = &tc
	if err := c.Validate(); err != nil {
		t.Fatalf("a client agent with a client certificate: %v", err)
	}
}
