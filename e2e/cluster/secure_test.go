package cluster

import (
	"crypto/tls"
	"crypto/x509"
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

// Secure mode runs a test's cluster with everything on: ACLs, mutual TLS
// on the RPC/Raft port and HTTPS with client certificates on the API, and
// encrypted gossip. The certificates and the gossip key are made with the
// binary's own `appmesh tls ...` and `appmesh operator gossip keyring
// -generate`; the first server's ACL bootstrap gives the token every API
// call and CLI run then carries. The tests themselves are the plain ones:
// TestSecureX runs TestX in secure mode.

// secureTests holds the tests (by their *testing.T) that run in secure mode.
var secureTests sync.Map

// runSecure marks t as secure mode and runs the test body.
func runSecure(t *testing.T, body func(*testing.T)) {
	secureTests.Store(t, true)
	body(t)
}

func TestSecureClusterFailover(t *testing.T) { runSecure(t, TestClusterFailover) }

func TestSecureClusterAckedJobsSurviveLeaderKill(t *testing.T) {
	runSecure(t, TestClusterAckedJobsSurviveLeaderKill)
}

func TestSecureClusterSnapshotRestore(t *testing.T) { runSecure(t, TestClusterSnapshotRestore) }

func TestSecureNodeReturnsAndStopsReplacedWork(t *testing.T) {
	runSecure(t, TestNodeReturnsAndStopsReplacedWork)
}

// securePKI is a secure cluster's CA, certificates, gossip key and
// agent configuration files.
type securePKI struct {
	dir                  string
	ca                   string
	serverHCL, clientHCL string
	cliCert, cliKey      string
	gossipKey            string
	tlsConfig            *tls.Config // the API clients': the CA and the CLI certificate
}

// newSecurePKI makes everything with the binary, in dir; the
// configuration files name the files under inside (dir itself when empty,
// the mount point in a container otherwise).
func newSecurePKI(t *testing.T, dir, inside string) *securePKI {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(appmeshBin, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("appmesh %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("tls", "ca", "create")
	run("tls", "cert", "create", "-server")
	run("tls", "cert", "create", "-client")
	run("tls", "cert", "create", "-cli")
	p := &securePKI{dir: dir, ca: filepath.Join(dir, "appmesh-agent-ca.pem"),
		cliCert: filepath.Join(dir, "global-cli-appmesh.pem"), cliKey: filepath.Join(dir, "global-cli-appmesh-key.pem"),
		gossipKey: run("operator", "gossip", "keyring", "-generate")}
	if inside == "" {
		inside = dir
	}
	write := func(role string) string {
		path := filepath.Join(dir, role+".hcl")
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
`, filepath.Join(inside, "appmesh-agent-ca.pem"), filepath.Join(inside, "global-"+role+"-appmesh.pem"), filepath.Join(inside, "global-"+role+"-appmesh-key.pem"))
		if err := os.WriteFile(path, []byte(hcl), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	p.serverHCL, p.clientHCL = write("server"), write("client")
	caPEM, err := os.ReadFile(p.ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cert, err := tls.LoadX509KeyPair(p.cliCert, p.cliKey)
	if err != nil {
		t.Fatal(err)
	}
	p.tlsConfig = &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	return p
}

// agentArgs are the flags secure mode adds to an agent; configDir is
// where the agent sees the configuration files (p.dir when empty).
func (p *securePKI) agentArgs(server bool, configDir string) []string {
	if configDir == "" {
		configDir = p.dir
	}
	if server {
		return []string{"-config", filepath.Join(configDir, filepath.Base(p.serverHCL)), "-encrypt", p.gossipKey}
	}
	return []string{"-config", filepath.Join(configDir, filepath.Base(p.clientHCL))}
}

// cliEnv is what the CLI needs to reach a secure agent.
func (p *securePKI) cliEnv(token string) []string {
	return []string{"APPMESH_CACERT=" + p.ca, "APPMESH_CLIENT_CERT=" + p.cliCert, "APPMESH_CLIENT_KEY=" + p.cliKey, "APPMESH_TOKEN=" + token}
}

// bootstrapACL makes the first management token of the cluster a is a
// server of, retrying until a leader is there to take it, and gives it to
// a's API client.
func (c *procCluster) bootstrapACL(a *procAgent) string {
	c.t.Helper()
	var secret string
	waitFor(c.t, waitTimeout, "ACL bootstrap on "+a.name, func() error {
		var tok struct {
			SecretID string `json:"secret_id"`
		}
		if err := a.api.do(http.MethodPut, "/v1/acl/bootstrap", strings.NewReader("{}"), &tok); err != nil {
			return err
		}
		if tok.SecretID == "" {
			return fmt.Errorf("no secret in the bootstrap answer")
		}
		secret = tok.SecretID
		return nil
	}, func() string { return a.logTail() })
	a.api.setToken(secret)
	return secret
}

// useClusterToken gives a the cluster's token again (after a snapshot
// restore brought the cluster's tokens to a server bootstrapped alone).
func (c *procCluster) useClusterToken(a *procAgent) {
	c.mu.Lock()
	tok := c.token
	c.mu.Unlock()
	a.api.setToken(tok)
}

// setClusterToken is the token of every agent, now and added later.
func (c *procCluster) setClusterToken(tok string) {
	c.mu.Lock()
	c.token = tok
	agents := append([]*procAgent(nil), c.agents...)
	c.mu.Unlock()
	for _, a := range agents {
		a.api.setToken(tok)
	}
}

// httpClient is an API client's HTTP client in secure mode.
func (p *securePKI) httpClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = p.tlsConfig.Clone()
	return &http.Client{Timeout: 30 * time.Second, Transport: tr}
}

func TestSecureDockerCluster(t *testing.T) { runSecure(t, TestDockerCluster) }

// dockerSecure prepares secure mode for a Docker cluster: the files are
// mounted at /tls in every container, and the API clients, which reach
// the containers by IP, check the certificates' name localhost (every
// server and client certificate carries it).
func (d *dockerCluster) dockerSecure() {
	if _, ok := secureTests.Load(d.t); !ok {
		return
	}
	d.pki = newSecurePKI(d.t, filepath.Join(d.t.TempDir(), "tls"), "/tls")
	// Containers run as root, the files are the test's: readable to all
	// inside the private test directory.
	entries, _ := os.ReadDir(d.pki.dir)
	for _, e := range entries {
		_ = os.Chmod(filepath.Join(d.pki.dir, e.Name()), 0o644)
	}
	d.pki.tlsConfig.ServerName = "localhost"
}

// dockerBootstrap makes the cluster's management token (secure mode).
func (d *dockerCluster) dockerBootstrap() {
	if d.pki == nil {
		return
	}
	var secret string
	waitFor(d.t, waitTimeout, "ACL bootstrap", func() error {
		var tok struct {
			SecretID string `json:"secret_id"`
		}
		if err := d.servers[0].api.do(http.MethodPut, "/v1/acl/bootstrap", strings.NewReader("{}"), &tok); err != nil {
			return err
		}
		secret = tok.SecretID
		return nil
	}, d.logs)
	for _, a := range append(append([]*dockerAgent{}, d.servers...), d.clients...) {
		a.api.setToken(secret)
	}
}
