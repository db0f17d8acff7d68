package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// meshPair starts api's proxy in front of an echo server and web's proxy
// with an upstream to it; it returns both and web's upstream address.
func meshPair(t *testing.T, ca *testCA, apiReg prometheus.Registerer) (api, web *Proxy, upAddr string) {
	t.Helper()
	api = startProxy(t, serverCfg(t, ca, "api", serveTCP(t, echo)), apiReg)
	web = startProxy(t, clientCfg(t, ca, upstreamTo(t, api)), nil)
	return api, web, web.UpstreamAddr("api")
}

// upstreamTo is an L4 upstream whose one instance is the proxy p.
func upstreamTo(t testing.TB, p *Proxy) *structs.MeshUpstreamConfig {
	return &structs.MeshUpstreamConfig{DestinationName: "api", Instances: []*structs.MeshInstance{instance(t, p, nil, 0)}}
}

func dialEcho(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

func TestL4WebToAPI(t *testing.T) {
	ca := newTestCA(t, "root")
	reg := prometheus.NewRegistry()
	_, _, up := meshPair(t, ca, reg)
	c, r := dialEcho(t, up)
	for _, msg := range []string{"hello", "again"} {
		got, err := say(c, r, msg)
		if err != nil || got != msg {
			t.Fatalf("echo through the mesh: %q, %v", got, err)
		}
	}
	if n := testutil.ToFloat64(mustVec(t, reg, "appmesh_mesh_proxy_connections_active")); n != 1 {
		t.Errorf("api proxy active connections = %v, want 1", n)
	}
}

// mustVec finds a gathered metric's value summed over its series.
func mustVec(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	found := false
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		found = true
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	if !found {
		t.Fatalf("metric %s not gathered", name)
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "sum"})
	g.Set(sum)
	return g
}

func TestInboundRefusesPlainAndForeignCA(t *testing.T) {
	ca := newTestCA(t, "root")
	reg := prometheus.NewRegistry()
	api, _, _ := meshPair(t, ca, reg)
	addr := api.InboundAddr()

	// A plain TCP client gets no echo: its bytes are not a TLS hello.
	c, r := dialEcho(t, addr)
	if got, err := say(c, r, "hello"); err == nil {
		t.Fatalf("plain TCP through the inbound listener answered %q", got)
	}

	// A client with a certificate from another CA (same trust domain
	// name) is refused too.
	other := newTestCA(t, "other")
	cert, key := other.leaf(t, "web")
	pair, err := tls.X509KeyPair([]byte(cert), []byte(key))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr,
		&tls.Config{Certificates: []tls.Certificate{pair}, InsecureSkipVerify: true})
	if err == nil {
		defer tc.Close()
		// With TLS 1.3 the client learns of the refusal on its first read.
		if got, err := say(tc, bufio.NewReader(tc), "hello"); err == nil {
			t.Fatalf("a foreign CA's client got an answer %q", got)
		}
	}
	// And a client with no certificate at all.
	tc2, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err == nil {
		defer tc2.Close()
		if got, err := say(tc2, bufio.NewReader(tc2), "hello"); err == nil {
			t.Fatalf("a client without certificate got an answer %q", got)
		}
	}
	waitFor(t, 30*time.Second, "three handshake failures counted", func() bool {
		return testutil.ToFloat64(mustVec(t, reg, "appmesh_mesh_proxy_tls_handshake_failures_total")) >= 3
	})
}

func TestIntentionDenyRefusesAndClosesOpenConnection(t *testing.T) {
	ca := newTestCA(t, "root")
	reg := prometheus.NewRegistry()
	api, _, up := meshPair(t, ca, reg)

	c, r := dialEcho(t, up)
	if got, err := say(c, r, "before"); err != nil || got != "before" {
		t.Fatalf("allowed call failed: %q %v", got, err)
	}
	deny := *api.Config()
	deny.Index++
	deny.Intentions = []*structs.Intention{{ID: "i1", SourceNamespace: "default", SourceName: "web",
		DestinationNamespace: "default", DestinationName: "api", Action: structs.IntentionDeny}}
	start := time.Now()
	if err := api.Update(&deny); err != nil {
		t.Fatal(err)
	}
	// The open connection ends within a second of the deny.
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := r.ReadString('\n'); err != io.EOF {
		t.Fatalf("open connection after deny: read err %v, want EOF", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("open connection closed after %s", el)
	}
	// A new one is refused.
	c2, r2 := dialEcho(t, up)
	if got, err := say(c2, r2, "after"); err == nil {
		t.Fatalf("denied call answered %q", got)
	}
	if n := testutil.ToFloat64(mustVec(t, reg, "appmesh_mesh_proxy_intention_denials_total")); n < 2 {
		t.Errorf("denials = %v, want >= 2", n)
	}
	// Deleting the intention restores the call; an unrelated allowed
	// caller's connection is not touched by an Update.
	allow := deny
	allow.Index++
	allow.Intentions = nil
	if err := api.Update(&allow); err != nil {
		t.Fatal(err)
	}
	c3, r3 := dialEcho(t, up)
	if got, err := say(c3, r3, "restored"); err != nil || got != "restored" {
		t.Fatalf("call after the deny was deleted: %q %v", got, err)
	}
	other := allow
	other.Index++
	other.Intentions = []*structs.Intention{{ID: "i2", SourceNamespace: "default", SourceName: "billing",
		DestinationNamespace: "default", DestinationName: "api", Action: structs.IntentionDeny}}
	if err := api.Update(&other); err != nil {
		t.Fatal(err)
	}
	if got, err := say(c3, r3, "still"); err != nil || got != "still" {
		t.Fatalf("allowed connection after an unrelated deny: %q %v", got, err)
	}
}

func TestDefaultDenyWithAllowIntention(t *testing.T) {
	ca := newTestCA(t, "root")
	api, _, up := meshPair(t, ca, nil)
	cfg := *api.Config()
	cfg.DefaultAllow = false
	if err := api.Update(&cfg); err != nil {
		t.Fatal(err)
	}
	c, r := dialEcho(t, up)
	if got, err := say(c, r, "x"); err == nil {
		t.Fatalf("default deny answered %q", got)
	}
	cfg.Intentions = []*structs.Intention{{ID: "a", SourceNamespace: "default", SourceName: "*",
		DestinationNamespace: "default", DestinationName: "api", Action: structs.IntentionAllow}}
	if err := api.Update(&cfg); err != nil {
		t.Fatal(err)
	}
	c2, r2 := dialEcho(t, up)
	if got, err := say(c2, r2, "y"); err != nil || got != "y" {
		t.Fatalf("allowed by wildcard intention: %q %v", got, err)
	}
}

func TestUpstreamRefusesWrongIdentity(t *testing.T) {
	ca := newTestCA(t, "root")
	// The instance claims to be api but its proxy holds billing's leaf.
	impostor := startProxy(t, serverCfg(t, ca, "billing", serveTCP(t, echo)), nil)
	inst := instance(t, impostor, nil, 0)
	inst.SPIFFEID = structs.MeshSPIFFEID(testTD, "default", "api")
	reg := prometheus.NewRegistry()
	web := startProxy(t, clientCfg(t, ca, &structs.MeshUpstreamConfig{
		DestinationName: "api", Instances: []*structs.MeshInstance{inst}}), reg)
	c, r := dialEcho(t, web.UpstreamAddr("api"))
	if got, err := say(c, r, "x"); err == nil {
		t.Fatalf("call to an impostor answered %q", got)
	}
	if n := testutil.ToFloat64(mustVec(t, reg, "appmesh_mesh_proxy_tls_handshake_failures_total")); n < 1 {
		t.Errorf("outbound handshake failures = %v", n)
	}
}

func TestUpstreamTriesAnotherInstance(t *testing.T) {
	ca := newTestCA(t, "root")
	api := startProxy(t, serverCfg(t, ca, "api", serveTCP(t, echo)), nil)
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().(*net.TCPAddr)
	dead.Close()
	good := instance(t, api, nil, 0)
	bad := &structs.MeshInstance{Address: "127.0.0.1", Port: deadAddr.Port, SPIFFEID: good.SPIFFEID}
	web := startProxy(t, clientCfg(t, ca, &structs.MeshUpstreamConfig{
		DestinationName: "api", Instances: []*structs.MeshInstance{bad, good}}), nil)
	for i := range 10 {
		c, r := dialEcho(t, web.UpstreamAddr("api"))
		if got, err := say(c, r, "x"); err != nil || got != "x" {
			t.Fatalf("call %d with one dead instance: %q %v", i, got, err)
		}
		c.Close()
	}
}

func TestRunDrainsOnCancel(t *testing.T) {
	ca := newTestCA(t, "root")
	_, web, up := meshPair(t, ca, nil)
	web.DrainTimeout = 30 * time.Second
	c, r := dialEcho(t, up)
	if got, err := say(c, r, "a"); err != nil || got != "a" {
		t.Fatalf("before: %q %v", got, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- web.Run(ctx) }()
	cancel()
	// The listener closes at once; the open connection still works.
	waitFor(t, 30*time.Second, "the upstream listener to close", func() bool {
		nc, err := net.DialTimeout("tcp", up, time.Second)
		if err == nil {
			nc.Close()
		}
		return err != nil
	})
	if got, err := say(c, r, "b"); err != nil || got != "b" {
		t.Fatalf("open connection while draining: %q %v", got, err)
	}
	select {
	case <-ran:
		t.Fatal("Run returned while a connection was open")
	default:
	}
	c.Close()
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the last connection closed")
	}
}

// tap relays TCP to target and records what crosses it, as someone on
// the wire between two proxies would see it.
type tap struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (tp *tap) Write(b []byte) (int, error) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.buf.Write(b)
}

func (tp *tap) seen() []byte {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return bytes.Clone(tp.buf.Bytes())
}

func TestNoPlaintextBetweenProxies(t *testing.T) {
	ca := newTestCA(t, "root")
	api := startProxy(t, serverCfg(t, ca, "api", serveTCP(t, echo)), nil)
	wire := &tap{}
	relay := serveTCP(t, func(c net.Conn) {
		up, err := net.Dial("tcp", api.InboundAddr())
		if err != nil {
			return
		}
		defer up.Close()
		go func() { _, _ = io.Copy(io.MultiWriter(c, wire), up); c.Close() }()
		_, _ = io.Copy(io.MultiWriter(up, wire), c)
	})
	inst := instance(t, api, nil, 0)
	host, port, _ := net.SplitHostPort(relay)
	inst.Address = host
	inst.Port, _ = strconv.Atoi(port)
	web := startProxy(t, clientCfg(t, ca, &structs.MeshUpstreamConfig{DestinationName: "api",
		Instances: []*structs.MeshInstance{inst}}), nil)
	const secret = "the-secret-payload-0123456789"
	c, r := dialEcho(t, web.UpstreamAddr("api"))
	if got, err := say(c, r, secret); err != nil || got != secret {
		t.Fatalf("through the tap: %q %v", got, err)
	}
	seen := wire.seen()
	if len(seen) < 2*len(secret) {
		t.Fatalf("the tap saw only %d bytes: is it in the path?", len(seen))
	}
	if bytes.Contains(seen, []byte(secret)) {
		t.Fatal("the payload crossed the wire between the proxies in plaintext")
	}
	if seen[0] != 0x16 { // a TLS handshake record opens the connection
		t.Fatalf("first byte on the wire %#x is not a TLS handshake record", seen[0])
	}
}

// OpenConns follows L4 connections on both sides of the pair, as they
// open and as they close (the command sizes GOMAXPROCS on it).
func TestOpenConnsFollowsConnections(t *testing.T) {
	ca := newTestCA(t, "root")
	api, web, up := meshPair(t, ca, nil)
	var conns []net.Conn
	for i := range 3 {
		c, r := dialEcho(t, up)
		if got, err := say(c, r, "hi"); err != nil || got != "hi" {
			t.Fatalf("connection %d: %q, %v", i, got, err)
		}
		conns = append(conns, c)
	}
	waitFor(t, 5*time.Second, "3 open connections on each side", func() bool {
		return web.OpenConns() == 3 && api.OpenConns() == 3
	})
	for _, c := range conns {
		_ = c.Close()
	}
	waitFor(t, 5*time.Second, "no open connection", func() bool {
		return web.OpenConns() == 0 && api.OpenConns() == 0
	})
}
