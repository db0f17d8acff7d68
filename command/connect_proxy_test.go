package command

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/appmesh/appmesh/mesh/proxy"
	"github.com/appmesh/appmesh/mesh/proxy/proxytest"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
	"github.com/mitchellh/cli"
	"github.com/prometheus/client_golang/prometheus"
)

const proxyTestTD = "cmd.appmesh"

// namedAPI starts api's proxy (the library) in front of a server that
// says name, and returns the upstream instance that reaches it.
func namedAPI(t *testing.T, ca *proxytest.CA, name string) *structs.MeshInstance {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = io.WriteString(c, name+"\n")
			c.Close()
		}
	}()
	cert, key := ca.Leaf(t, proxyTestTD, "default", "api")
	p := proxy.New(hclog.NewNullLogger(), nil)
	t.Cleanup(func() { p.Close() })
	id := structs.MeshSPIFFEID(proxyTestTD, "default", "api")
	if err := p.Update(&structs.MeshProxyConfig{Index: 1, Namespace: "default", Service: "api", SPIFFEID: id,
		TrustDomain: proxyTestTD, InboundAddr: "127.0.0.1:0", LocalServiceAddr: ln.Addr().String(),
		LeafCertPEM: cert, LeafKeyPEM: key, RootsPEM: []string{ca.CertPEM}, DefaultAllow: true}); err != nil {
		t.Fatal(err)
	}
	addr := p.InboundAddr()
	host, port, _ := net.SplitHostPort(addr)
	pn, _ := strconv.Atoi(port)
	return &structs.MeshInstance{Address: host, Port: pn, SPIFFEID: id}
}

func webProxyConfig(t *testing.T, ca *proxytest.CA, index uint64, bind string, inst *structs.MeshInstance) *structs.MeshProxyConfig {
	cert, key := ca.Leaf(t, proxyTestTD, "default", "web")
	return &structs.MeshProxyConfig{Index: index, Namespace: "default", Service: "web",
		SPIFFEID: structs.MeshSPIFFEID(proxyTestTD, "default", "web"), TrustDomain: proxyTestTD,
		LeafCertPEM: cert, LeafKeyPEM: key, RootsPEM: []string{ca.CertPEM},
		Upstreams: []*structs.MeshUpstreamConfig{{DestinationNamespace: "default", DestinationName: "api",
			LocalBindAddr: bind, Instances: []*structs.MeshInstance{inst}}}}
}

// readLine dials addr and reads the line the server says.
func readLine(addr string) string {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line)
}

// lockedBuffer is the proxy's log output, written by its goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runProxyCommand runs `appmesh connect proxy args...` in this process;
// the returned channel gets its exit code.
func runProxyCommand(t *testing.T, args ...string) (<-chan int, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	ui := &cli.BasicUi{Writer: io.Discard, ErrorWriter: logs}
	done := make(chan int, 1)
	go func() { done <- (&ConnectProxyCommand{Meta: Meta{Ui: ui}}).Run(args) }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("proxy log:\n%s", logs.String())
		}
	})
	return done, logs
}

// stopProxyCommand sends SIGTERM (the command has the signal: it
// registered before serving) and waits for a clean exit.
func stopProxyCommand(t *testing.T, done <-chan int) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("connect proxy exited %d after SIGTERM", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("connect proxy did not exit after SIGTERM")
	}
}

func TestConnectProxyConfigFileReloadsOnSIGHUP(t *testing.T) {
	ca := proxytest.NewCA(t, "root")
	v1, v2 := namedAPI(t, ca, "v1"), namedAPI(t, ca, "v2")
	bind := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	path := filepath.Join(t.TempDir(), "proxy.json")
	write := func(cfg *structs.MeshProxyConfig) {
		b, _ := json.Marshal(cfg)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(webProxyConfig(t, ca, 1, bind, v1))
	done, _ := runProxyCommand(t, "-config", path, "-metrics-addr", metricsAddr)
	waitFor(t, "the upstream reaches v1", func() (bool, string) {
		got := readLine(bind)
		return got == "v1", got
	})

	write(webProxyConfig(t, ca, 2, bind, v2))
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "after SIGHUP the upstream reaches v2", func() (bool, string) {
		got := readLine(bind)
		return got == "v2", got
	})
	// A broken file is refused on SIGHUP and the last config keeps serving.
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if got := readLine(bind); got != "v2" {
		t.Fatalf("after a bad reload: %q", got)
	}

	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `appmesh_mesh_proxy_connections_total{direction="outbound",upstream="api"}`) {
		t.Fatalf("metrics endpoint lacks the proxy's connections:\n%s", body)
	}
	stopProxyCommand(t, done)
	if c, err := net.DialTimeout("tcp", bind, time.Second); err == nil {
		c.Close()
		t.Fatal("the upstream listener is still open after exit")
	}
}

// fakeConfigAgent serves MeshProxyConfigPath as a blocking query.
type fakeConfigAgent struct {
	mu      sync.Mutex
	cfg     *structs.MeshProxyConfig
	changed chan struct{}
	tokens  map[string]bool
}

func (a *fakeConfigAgent) set(cfg *structs.MeshProxyConfig) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cfg = cfg
	close(a.changed)
	a.changed = make(chan struct{})
}

func (a *fakeConfigAgent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != structs.MeshProxyConfigPath || r.URL.Query().Get("alloc_id") != "a1" || r.URL.Query().Get("service") != "web" {
		http.Error(w, "bad request "+r.URL.String(), http.StatusBadRequest)
		return
	}
	index, _ := strconv.ParseUint(r.URL.Query().Get("index"), 10, 64)
	a.mu.Lock()
	a.tokens[r.Header.Get("X-Appmesh-Token")] = true
	cfg, ch := a.cfg, a.changed
	a.mu.Unlock()
	if cfg.Index <= index {
		select {
		case <-ch:
		case <-time.After(time.Second):
		case <-r.Context().Done():
		}
		a.mu.Lock()
		cfg = a.cfg
		a.mu.Unlock()
	}
	w.Header().Set("X-Appmesh-Index", strconv.FormatUint(cfg.Index, 10))
	_ = json.NewEncoder(w).Encode(cfg)
}

func TestConnectProxyFollowsAgent(t *testing.T) {
	ca := proxytest.NewCA(t, "root")
	v1, v2 := namedAPI(t, ca, "v1"), namedAPI(t, ca, "v2")
	bind := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	agent := &fakeConfigAgent{cfg: webProxyConfig(t, ca, 5, bind, v1), changed: make(chan struct{}), tokens: map[string]bool{}}
	srv := httptest.NewServer(agent)
	defer srv.Close()

	taskDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(taskDir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(taskDir, "secrets", "appmesh_token"), []byte("workload-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("APPMESH_TOKEN", "")
	t.Setenv("APPMESH_TASK_DIR", taskDir)
	t.Setenv("APPMESH_ALLOC_ID", "a1")
	done, _ := runProxyCommand(t, "-agent", srv.URL, "-service", "web")
	waitFor(t, "the upstream reaches v1", func() (bool, string) {
		got := readLine(bind)
		return got == "v1", got
	})
	agent.set(webProxyConfig(t, ca, 6, bind, v2))
	waitFor(t, "the pushed config moves the upstream to v2", func() (bool, string) {
		got := readLine(bind)
		return got == "v2", got
	})
	agent.mu.Lock()
	if !agent.tokens["workload-secret"] || len(agent.tokens) != 1 {
		t.Errorf("tokens the agent saw: %v, want the workload token", agent.tokens)
	}
	agent.mu.Unlock()
	// The agent goes away: the proxy keeps serving its last config.
	srv.Close()
	for range 3 {
		if got := readLine(bind); got != "v2" {
			t.Fatalf("with the agent down: %q", got)
		}
	}
	stopProxyCommand(t, done)
}

func TestConnectProxyUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-config", "a.json", "-agent", "http://x"},
		{"-config", "a.json", "-log-level", "loud"},
		{"-config", "a.json", "-max-procs", "-1"},
	} {
		t.Setenv("APPMESH_ALLOC_ID", "")
		ui := cli.NewMockUi()
		if code := (&ConnectProxyCommand{Meta: Meta{Ui: ui}}).Run(args); code != exitUsage {
			t.Errorf("%v: exit %d, want 2: %s", args, code, ui.ErrorWriter.String())
		}
	}
}

// A -metrics-addr of "unix:" with no path is refused with what to write,
// not bound to an unnamed socket nobody can reach.
func TestProxyMetricsAddrNeedsASocketPath(t *testing.T) {
	stop, err := serveProxyMetrics("unix:", prometheus.NewRegistry(), hclog.NewNullLogger())
	if err == nil {
		stop()
		t.Fatal(`-metrics-addr "unix:" was accepted`)
	}
	if !strings.Contains(err.Error(), "names no socket") {
		t.Fatalf("error %q does not say what is missing", err)
	}
}
