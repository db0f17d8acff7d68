package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Secure mode starts an agent with ACLs, HTTPS with client certificates,
// mutual TLS on the RPC port and encrypted gossip, all made with the
// binary's own commands; the harness bootstraps ACLs at the first start
// and every request and CLI run carries the token and the CLI
// certificate. TestSecureX runs TestX that way, unchanged.

// secureTests holds the tests (by *testing.T) whose agents run secure.
var secureTests sync.Map

func TestSecureDurability(t *testing.T) {
	secureTests.Store(t, true)
	testDurability(t, 7)
}

// secureFiles are an agent's certificates, key and configuration.
type secureFiles struct {
	dir                   string
	ca, cliCert, cliKey   string
	serverCert, serverKey string
	config                string
	gossipKey             string
	tlsConfig             *tls.Config
}

// runIn runs the binary in dir and returns its trimmed output.
func runIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(appmeshBin, args...)
	cmd.Dir = dir
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("appmesh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// newSecureFiles makes a CA, a server and a CLI certificate, a gossip key
// and an agent configuration with everything on.
func newSecureFiles(t *testing.T) *secureFiles {
	t.Helper()
	dir := t.TempDir()
	runIn(t, dir, "tls", "ca", "create")
	runIn(t, dir, "tls", "cert", "create", "-server")
	runIn(t, dir, "tls", "cert", "create", "-cli")
	f := &secureFiles{dir: dir, ca: filepath.Join(dir, "appmesh-agent-ca.pem"),
		serverCert: filepath.Join(dir, "global-server-appmesh.pem"), serverKey: filepath.Join(dir, "global-server-appmesh-key.pem"),
		cliCert: filepath.Join(dir, "global-cli-appmesh.pem"), cliKey: filepath.Join(dir, "global-cli-appmesh-key.pem"),
		config:    filepath.Join(dir, "secure.hcl"),
		gossipKey: runIn(t, dir, "operator", "gossip", "keyring", "-generate")}
	hcl := fmt.Sprintf(`acl {
  enabled = true
}
tls {
  http = true
  rpc  = true
  ca_file   = %q
  cert_file = %q
  key_file  = %q
  verify_server_hostname = true
  verify_https_client    = true
}
`, f.ca, f.serverCert, f.serverKey)
	if err := os.WriteFile(f.config, []byte(hcl), 0o600); err != nil {
		t.Fatal(err)
	}
	f.tlsConfig = f.clientTLS(t, f.cliCert, f.cliKey)
	return f
}

// clientTLS trusts the CA and presents the given certificate.
func (f *secureFiles) clientTLS(t *testing.T, cert, key string) *tls.Config {
	t.Helper()
	caPEM, err := os.ReadFile(f.ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg
}

// httpClient is an API client of the secure agent.
func (f *secureFiles) httpClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = f.tlsConfig.Clone()
	return &http.Client{Timeout: 30 * time.Second, Transport: tr}
}

// cliFlags are what the CLI needs to reach the secure agent.
func (f *secureFiles) cliFlags(token string) []string {
	return []string{"-ca-cert", f.ca, "-client-cert", f.cliCert, "-client-key", f.cliKey, "-token", token}
}

// bootstrapACL takes the first management token once the agent has a
// leader; the harness sends it from then on.
func (a *agent) bootstrapACL() error {
	deadline := time.Now().Add(waitTimeout)
	last := "no answer yet"
	for time.Now().Before(deadline) {
		select {
		case <-a.exited:
			return fmt.Errorf("agent exited before the ACL bootstrap: %v", a.exitErr())
		default:
		}
		r, err := a.do(http.MethodPut, "/v1/acl/bootstrap", []byte("{}"))
		if err == nil && r.status == http.StatusOK {
			var tok struct {
				SecretID string `json:"secret_id"`
			}
			if err := json.Unmarshal(r.body, &tok); err != nil || tok.SecretID == "" {
				return fmt.Errorf("ACL bootstrap answer %s: %v", r.body, err)
			}
			a.mu.Lock()
			a.token = tok.SecretID
			a.mu.Unlock()
			return nil
		}
		if err != nil {
			last = err.Error()
		} else {
			last = fmt.Sprintf("%d %s", r.status, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("ACL bootstrap did not succeed within %s: %s", waitTimeout, last)
}
