// Package consultest starts a real Consul agent (`consul agent -dev`) on
// free loopback ports for tests. The binary is the one scripts/consul/
// build.sh builds: $APPMESH_CONSUL_BIN (set by `make test`), else the
// cached build under <repo>/.cache/consul/. Without either the test is
// skipped with instructions; with APPMESH_CONSUL_BIN set but unusable it
// fails, so CI never silently skips.
package consultest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
)

// Agent is a running consul dev agent.
type Agent struct {
	Bin     string
	HTTP    string // 127.0.0.1:port
	dataDir string
	args    []string
	cmd     *exec.Cmd
	exited  chan struct{}
	t       testing.TB
}

// Binary finds the consul binary or skips the test.
func Binary(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("APPMESH_CONSUL_BIN"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("APPMESH_CONSUL_BIN=%s: %v (build it with scripts/consul/build.sh)", bin, err)
		}
		return bin
	}
	root, err := repoRoot()
	if err == nil {
		if m, _ := filepath.Glob(filepath.Join(root, ".cache", "consul", "*", "consul")); len(m) > 0 {
			return m[len(m)-1]
		}
	}
	t.Skip("consul binary not available: run scripts/consul/build.sh (about 4 minutes once, then cached) " +
		"or `make test`, which builds it and sets APPMESH_CONSUL_BIN")
	return ""
}

// repoRoot walks up to the directory of appmesh's go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/appmesh/appmesh\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("appmesh go.mod not found")
		}
		dir = parent
	}
}

// Start runs a dev agent and waits until it has a leader; it is stopped
// when the test ends.
func Start(t testing.TB) *Agent {
	t.Helper()
	bin := Binary(t)
	ports := freePorts(t, 5)
	a := &Agent{Bin: bin, HTTP: "127.0.0.1:" + strconv.Itoa(ports[0]), dataDir: t.TempDir(), t: t}
	a.args = []string{"agent", "-dev", "-bind", "127.0.0.1", "-client", "127.0.0.1",
		"-node", "appmesh-test", "-log-level", "warn",
		"-http-port", strconv.Itoa(ports[0]), "-grpc-port", strconv.Itoa(ports[1]),
		"-serf-lan-port", strconv.Itoa(ports[2]), "-serf-wan-port", strconv.Itoa(ports[3]),
		"-server-port", strconv.Itoa(ports[4]), "-dns-port", "-1", "-grpc-tls-port", "-1",
	}
	a.start()
	t.Cleanup(a.Stop)
	return a
}

func (a *Agent) start() {
	a.t.Helper()
	a.cmd = exec.Command(a.Bin, a.args...)
	log, err := os.Create(filepath.Join(a.dataDir, "consul.log"))
	if err != nil {
		a.t.Fatalf("consul log: %v", err)
	}
	a.cmd.Stdout, a.cmd.Stderr = log, log
	if err := a.cmd.Start(); err != nil {
		a.t.Fatalf("start consul: %v", err)
	}
	a.exited = make(chan struct{})
	go func() { _ = a.cmd.Wait(); log.Close(); close(a.exited) }()
	a.waitReady()
}

// waitReady polls until the agent answers with a leader. The bound only
// guards against a broken binary; it is not a timing assertion.
func (a *Agent) waitReady() {
	a.t.Helper()
	c := a.API()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-a.exited:
			b, _ := os.ReadFile(filepath.Join(a.dataDir, "consul.log"))
			a.t.Fatalf("consul exited at start:\n%s", b)
		default:
		}
		if l, err := c.Status().Leader(); err == nil && l != "" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.t.Fatalf("consul at %s did not become ready", a.HTTP)
}

// Stop kills the agent (its -dev state is lost).
func (a *Agent) Stop() {
	if a.cmd == nil || a.cmd.Process == nil {
		return
	}
	select {
	case <-a.exited:
		return
	default:
	}
	_ = a.cmd.Process.Kill()
	<-a.exited
}

// Restart stops the agent and starts it again on the same ports, with
// empty state (as a restarted dev agent has).
func (a *Agent) Restart() {
	a.t.Helper()
	a.Stop()
	a.start()
}

// Relaunch starts a stopped agent again on the same ports.
func (a *Agent) Relaunch() {
	a.t.Helper()
	a.start()
}

// API is a client of the agent.
func (a *Agent) API() *api.Client {
	cfg := api.DefaultNonPooledConfig()
	cfg.Address = a.HTTP
	c, err := api.NewClient(cfg)
	if err != nil {
		a.t.Fatalf("consul client: %v", err)
	}
	return c
}

// freePorts reserves n distinct free loopback ports (released before use;
// a collision is unlikely and fails loudly).
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}
