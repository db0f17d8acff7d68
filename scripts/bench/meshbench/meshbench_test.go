package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

func TestPercentileNearestRank(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i))
	}
	for p, want := range map[float64]time.Duration{0.5: 50, 0.99: 99, 0.9: 90, 1: 100, 0.001: 1} {
		if got := percentile(s, p); got != want {
			t.Errorf("percentile(1..100, %v) = %v, want %v", p, got, want)
		}
	}
	l := summarise([]time.Duration{3, 1, 2})
	if l.N != 3 || l.P50 != 2 || l.Max != 3 {
		t.Errorf("summarise(3,1,2) = %+v", l)
	}
}

// startServer runs the echo server on a loopback port for the test.
func startServer(t *testing.T, delay time.Duration) string {
	return startServerST(t, serviceTime{mean: delay})
}

func startServerST(t *testing.T, delay serviceTime) string {
	return startLoop(t, func(ctx context.Context, ln net.Listener) error { return serve(ctx, ln, delay) })
}

// startLoop runs an accept loop (serve, forward) on a loopback port until
// the test ends, and returns its address.
func startLoop(t *testing.T, run func(context.Context, net.Listener) error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("accept loop on %s: %v", ln.Addr(), err)
		}
	})
	return ln.Addr().String()
}

func TestLoadAgainstServer(t *testing.T) {
	addr := startServer(t, 0)
	o := loadOptions{addr: addr, label: "direct", req: 100, resp: 3000, chunk: 8192,
		duration: 300 * time.Millisecond, warmup: 50 * time.Millisecond}
	for _, n := range []int{1, 8} {
		r, err := runRR(context.Background(), o, n)
		if err != nil {
			t.Fatalf("rr ×%d: %v", n, err)
		}
		if r.Errors != 0 || r.Requests == 0 || r.Latency.N != int(r.Requests) || r.Setup.N != n {
			t.Fatalf("rr ×%d: %+v", n, r)
		}
		if r.Bytes != r.Requests*3100 || r.Latency.P50 <= 0 || r.Latency.P99 < r.Latency.P50 {
			t.Fatalf("rr ×%d: inconsistent figures %+v", n, r)
		}
	}
	r, err := runBulk(context.Background(), o, 2)
	if err != nil {
		t.Fatalf("bulk: %v", err)
	}
	if r.Errors != 0 || r.Bytes < 8192 || r.MBPerS <= 0 {
		t.Fatalf("bulk: %+v", r)
	}
	if err := probeOnce(context.Background(), addr); err != nil {
		t.Fatalf("probe: %v", err)
	}
}

// With a service time the server answers no faster than it: the closed
// loop's latency and rate follow.
func TestServiceTime(t *testing.T) {
	addr := startServer(t, 5*time.Millisecond)
	o := loadOptions{addr: addr, label: "slow", req: 10, resp: 10, duration: 300 * time.Millisecond}
	r, err := runRR(context.Background(), o, 4)
	if err != nil {
		t.Fatal(err)
	}
	// 4 connections × 300 ms / 5 ms = at most 240 requests.
	if r.Latency.P50 < 5*time.Millisecond || r.Requests > 240 || r.Requests == 0 {
		t.Fatalf("service time 5ms, 4 connections: p50 %v, %d requests", r.Latency.P50, r.Requests)
	}
}

// With a jitter the service times spread over mean ± jitter, and no
// further.
func TestServiceTimeJitter(t *testing.T) {
	st := serviceTime{mean: 10 * time.Millisecond, jitter: 5 * time.Millisecond}
	seen := map[time.Duration]bool{}
	for range 1000 {
		d := st.next()
		if d < 5*time.Millisecond || d > 15*time.Millisecond {
			t.Fatalf("service time %v outside 10ms ± 5ms", d)
		}
		seen[d] = true
	}
	if len(seen) < 100 {
		t.Fatalf("1,000 service times took only %d values", len(seen))
	}
	addr := startServerST(t, st)
	o := loadOptions{addr: addr, label: "jitter", req: 10, resp: 10, duration: 300 * time.Millisecond}
	r, err := runRR(context.Background(), o, 4)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests == 0 || r.Latency.P50 < 5*time.Millisecond {
		t.Fatalf("service time 10ms ± 5ms, 4 connections: p50 %v, %d requests", r.Latency.P50, r.Requests)
	}
	if got := (serviceTime{mean: 3}).next(); got != 3 {
		t.Fatalf("no jitter: service time %v, want the mean", got)
	}
}

// A path that breaks during the load must show up as errors, not as a
// quietly shorter run.
func TestLoadCountsBrokenConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer ln.Close()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				// Answer the first exchange of openConns, then hang up.
				h, err := readHello(c)
				if err != nil {
					return
				}
				buf := make([]byte, h.ReqSize)
				if _, err := c.Read(buf); err == nil {
					c.Write(make([]byte, h.RespSize))
				}
				time.Sleep(20 * time.Millisecond)
			}()
		}
	}()
	o := loadOptions{addr: ln.Addr().String(), label: "broken", req: 10, resp: 10,
		duration: 200 * time.Millisecond, warmup: 0}
	if _, err := runRR(context.Background(), o, 2); err == nil || !strings.Contains(err.Error(), "every connection failed") {
		t.Fatalf("runRR against a server that hangs up: err = %v", err)
	}
}

func TestProxyConfigsMutualTLS(t *testing.T) {
	o := certOptions{trustDomain: "bench.appmesh", namespace: "default",
		upstreamAddr: "127.0.0.1:7001", inboundAddr: "127.0.0.1:7002", serviceAddr: "127.0.0.1:7003"}
	web, api, caPEM, err := proxyConfigs(o, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// The JSON is what the proxy reads: it must come back the same.
	var back structs.MeshProxyConfig
	b, _ := json.Marshal(web)
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	up := back.Upstreams[0]
	if up.LocalBindAddr != "127.0.0.1:7001" || up.Instances[0].Port != 7002 || up.Instances[0].SPIFFEID != api.SPIFFEID ||
		up.ConnectTimeout.Std() != 5*time.Second || !back.DefaultAllow {
		t.Fatalf("web config after JSON: %+v, upstream %+v", back, up)
	}
	if api.InboundAddr != "127.0.0.1:7002" || api.LocalServiceAddr != "127.0.0.1:7003" {
		t.Fatalf("api config: %+v", api)
	}
	if want := structs.MeshSPIFFEID("bench.appmesh", "default", "api"); api.SPIFFEID != want {
		t.Fatalf("api SPIFFE ID %q, want %q", api.SPIFFEID, want)
	}

	// A real mutual TLS handshake: each side presents its leaf and checks
	// the other's chain and SPIFFE ID against the roots in its config.
	serverID, clientID := handshake(t, web, api)
	if serverID != api.SPIFFEID || clientID != web.SPIFFEID {
		t.Fatalf("peer identities: server %q, client %q", serverID, clientID)
	}
	if len(api.RootsPEM) != 1 || api.RootsPEM[0] != caPEM {
		t.Fatal("roots are not the CA that signed the leaves")
	}

	// A leaf of another CA is refused.
	other, _, _, err := proxyConfigs(o, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	other.RootsPEM = web.RootsPEM
	if _, err := tryHandshake(other, api); err == nil {
		t.Fatal("a client with a leaf of another CA was accepted")
	}
}

func handshake(t *testing.T, client, server *structs.MeshProxyConfig) (serverID, clientID string) {
	t.Helper()
	ids, err := tryHandshake(client, server)
	if err != nil {
		t.Fatal(err)
	}
	return ids[0], ids[1]
}

func tryHandshake(client, server *structs.MeshProxyConfig) ([2]string, error) {
	var ids [2]string
	tlsConf := func(c *structs.MeshProxyConfig) (*tls.Config, error) {
		pair, err := tls.X509KeyPair([]byte(c.LeafCertPEM), []byte(c.LeafKeyPEM))
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		for _, r := range c.RootsPEM {
			pool.AppendCertsFromPEM([]byte(r))
		}
		// SPIFFE leaves have no DNS names: verify the chain, compare the
		// URI SAN after the handshake.
		return &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: pool, ClientCAs: pool,
			ClientAuth: tls.RequireAndVerifyClientCert, ServerName: "unused", InsecureSkipVerify: true,
			VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
				leaf, err := x509.ParseCertificate(raw[0])
				if err != nil {
					return err
				}
				_, err = leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
				return err
			}}, nil
	}
	cc, err := tlsConf(client)
	if err != nil {
		return ids, err
	}
	sc, err := tlsConf(server)
	if err != nil {
		return ids, err
	}
	// Real loopback TCP: in TLS 1.3 the server judges the client's
	// certificate after the client has finished, so the client learns of a
	// refusal only when it reads.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return ids, err
	}
	defer ln.Close()
	type accepted struct {
		id  string
		err error
	}
	done := make(chan accepted, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- accepted{err: err}
			return
		}
		defer c.Close()
		ss := tls.Server(c, sc)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if err := ss.Handshake(); err != nil {
			done <- accepted{err: err}
			return
		}
		_, err = ss.Write([]byte{1})
		done <- accepted{id: ss.ConnectionState().PeerCertificates[0].URIs[0].String(), err: err}
	}()
	cs, err := tls.Dial("tcp", ln.Addr().String(), cc)
	if err != nil {
		<-done
		return ids, err
	}
	defer cs.Close()
	cs.SetDeadline(time.Now().Add(10 * time.Second))
	_, cerr := cs.Read(make([]byte, 1))
	srv := <-done
	if cerr != nil || srv.err != nil {
		return ids, errJoin(cerr, srv.err)
	}
	ids[0] = cs.ConnectionState().PeerCertificates[0].URIs[0].String()
	ids[1] = srv.id
	return ids, nil
}

func errJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func TestReportVerdict(t *testing.T) {
	rr := func(conns int, reqs float64, p50, p99 time.Duration) *result {
		return &result{Kind: "rr", Conns: conns, ReqPerS: reqs, MBPerS: reqs * 2048 / 1e6,
			Latency: latencies{N: 10, P50: p50, P99: p99}}
	}
	direct := &legResults{Label: "direct", Results: []*result{rr(1, 20000, 50*time.Microsecond, 100*time.Microsecond), rr(100, 50000, time.Millisecond, 3*time.Millisecond)}}
	consul := &legResults{Label: "consul", Results: []*result{rr(1, 8000, 120*time.Microsecond, 300*time.Microsecond), rr(100, 30000, 3*time.Millisecond, 9*time.Millisecond)}}
	appmesh := &legResults{Label: "appmesh", Results: []*result{rr(1, 10000, 100*time.Microsecond, 250*time.Microsecond), rr(100, 44000, 2*time.Millisecond, 6*time.Millisecond)}}
	forward := &legResults{Label: "forward", Results: []*result{rr(100, 46000, 2*time.Millisecond, 5*time.Millisecond)}}
	var out bytes.Buffer
	writeReport(&out, []*legResults{direct, forward, consul, appmesh})
	s := out.String()
	for _, want := range []string{
		"no slower than consul at 1 connections", "no slower than consul at 100 connections",
		"under 10%: 12.0% MISS", "+50µs", "+1.00ms", "+150µs", "60.0%",
		"floor: forward (two plain TCP hops, no TLS) loses 8.0% against direct at 100 connections",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
	if strings.Count(s, ": OK") != 2 {
		t.Errorf("want two OK verdicts (faster than consul at 1 and 100):\n%s", s)
	}
}

func TestMergeRoundsTakesMedians(t *testing.T) {
	leg := func(label string, reqs float64, p50 time.Duration) *legResults {
		return &legResults{Label: label, Results: []*result{{Kind: "rr", Conns: 100, ReqPerS: reqs, Requests: 10,
			Latency: latencies{N: 10, P50: p50, P99: 2 * p50, Max: 3 * p50}}}}
	}
	legs := mergeRounds([]*legResults{
		leg("direct", 100, 1), leg("consul", 50, 4),
		leg("direct", 300, 3), leg("consul", 10, 9),
		leg("direct", 200, 2), leg("consul", 40, 5),
	})
	if len(legs) != 2 || legs[0].Label != "direct" || legs[1].Label != "consul" || legs[0].Rounds != 3 {
		t.Fatalf("merged legs: %+v", legs)
	}
	d, c := legs[0].Results[0], legs[1].Results[0]
	if d.ReqPerS != 200 || d.Latency.P50 != 2 || d.Latency.P99 != 4 || d.Latency.Max != 9 || d.Requests != 30 {
		t.Fatalf("direct merged: %+v", d)
	}
	if c.ReqPerS != 40 || c.Latency.P50 != 5 {
		t.Fatalf("consul merged: %+v", c)
	}
}
