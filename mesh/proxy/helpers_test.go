package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appmesh/appmesh/internal/testutil"
	"github.com/appmesh/appmesh/mesh/proxy/proxytest"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

const testTD = "test.appmesh"

// testCA is a mesh root made in the test with crypto/x509.
type testCA struct {
	*proxytest.CA
	certPEM string
}

func newTestCA(t testing.TB, name string) *testCA {
	ca := proxytest.NewCA(t, name)
	return &testCA{CA: ca, certPEM: ca.CertPEM}
}

func (ca *testCA) leaf(t testing.TB, svc string) (string, string) {
	return ca.Leaf(t, testTD, "default", svc)
}

// serverCfg is the config of a proxy in front of service svc, listening
// on a free port and forwarding to local.
func serverCfg(t testing.TB, ca *testCA, svc, local string) *structs.MeshProxyConfig {
	cert, key := ca.leaf(t, svc)
	return &structs.MeshProxyConfig{
		Index: 1, Namespace: "default", Service: svc, TrustDomain: testTD,
		SPIFFEID:    structs.MeshSPIFFEID(testTD, "default", svc),
		InboundAddr: "127.0.0.1:0", LocalServiceAddr: local,
		LeafCertPEM: cert, LeafKeyPEM: key, RootsPEM: []string{ca.certPEM},
		DefaultAllow: true,
	}
}

// clientCfg is the config of web's proxy with one upstream to api.
func clientCfg(t testing.TB, ca *testCA, up *structs.MeshUpstreamConfig) *structs.MeshProxyConfig {
	cert, key := ca.leaf(t, "web")
	if up.LocalBindAddr == "" {
		up.LocalBindAddr = "127.0.0.1:0"
	}
	if up.DestinationNamespace == "" {
		up.DestinationNamespace = "default"
	}
	return &structs.MeshProxyConfig{
		Index: 1, Namespace: "default", Service: "web", TrustDomain: testTD,
		SPIFFEID:    structs.MeshSPIFFEID(testTD, "default", "web"),
		LeafCertPEM: cert, LeafKeyPEM: key, RootsPEM: []string{ca.certPEM},
		Upstreams: []*structs.MeshUpstreamConfig{up},
	}
}

// instance is the upstream entry for a started server proxy.
func instance(t testing.TB, p *Proxy, tags []string, version uint64) *structs.MeshInstance {
	host, port, err := net.SplitHostPort(p.InboundAddr())
	if err != nil {
		t.Fatal(err)
	}
	var pn int
	fmt.Sscanf(port, "%d", &pn)
	cfg := p.Config()
	return &structs.MeshInstance{Address: host, Port: pn, Tags: tags, JobVersion: version,
		SPIFFEID: cfg.SPIFFEID, AllocID: fmt.Sprintf("alloc-%s-%d", cfg.Service, pn)}
}

func testLogger(t testing.TB) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: t.Name(), Level: hclog.Warn, Output: testWriter{t}})
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// startProxy creates and configures a proxy; the test closes it.
func startProxy(t testing.TB, cfg *structs.MeshProxyConfig, reg prometheus.Registerer) *Proxy {
	t.Helper()
	p := New(testLogger(t), reg)
	if err := p.Update(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// serveTCP runs a TCP server on a free port until the test ends; handle
// owns each connection.
func serveTCP(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	open := map[net.Conn]bool{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			open[c] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c)
				mu.Lock()
				delete(open, c)
				mu.Unlock()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// echo answers every line with the same line.
func echo(c net.Conn) { _, _ = io.Copy(c, c) }

// named says its name and closes.
func named(name string) func(net.Conn) {
	return func(c net.Conn) { _, _ = io.WriteString(c, name+"\n") }
}

// say sends one line on c and reads the answer.
func say(c net.Conn, r *bufio.Reader, msg string) (string, error) {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, msg+"\n"); err != nil {
		return "", err
	}
	line, err := r.ReadString('\n')
	return strings.TrimSuffix(line, "\n"), err
}

// readName dials addr and reads the one line a named server says.
func readName(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("read: %w (got %q)", err, line)
	}
	return strings.TrimSuffix(line, "\n"), nil
}

// waitFor polls cond until it holds or d passes (the shared helper, so
// the back-off and the failure message are the same as everywhere else).
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	testutil.Wait{Timeout: d}.For(t, what, cond)
}
