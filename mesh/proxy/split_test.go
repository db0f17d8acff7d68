package proxy

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// versions starts api v1 and v2 (each a proxy in front of a server that
// says its version) and web's proxy with split weights w1/w2 by tag.
func versions(t *testing.T, ca *testCA, w1, w2 int) (web *Proxy, up *structs.MeshUpstreamConfig) {
	t.Helper()
	v1 := startProxy(t, serverCfg(t, ca, "api", serveTCP(t, named("v1"))), nil)
	v2 := startProxy(t, serverCfg(t, ca, "api", serveTCP(t, named("v2"))), nil)
	up = &structs.MeshUpstreamConfig{
		DestinationName: "api",
		Instances:       []*structs.MeshInstance{instance(t, v1, []string{"v1"}, 1), instance(t, v2, []string{"v2"}, 2)},
		Split:           splitOf(w1, w2),
	}
	return startProxy(t, clientCfg(t, ca, up), nil), up
}

func splitOf(w1, w2 int) *structs.MeshSplit {
	two := uint64(2)
	return &structs.MeshSplit{Namespace: "default", Service: "api", Subsets: []*structs.MeshSubset{
		{Name: "v1", Tags: []string{"v1"}, Weight: w1},
		// v2 is chosen by job version, v1 by tag: both ways work.
		{Name: "v2", JobVersion: &two, Weight: w2},
	}}
}

func TestSplit90To10(t *testing.T) {
	ca := newTestCA(t, "root")
	web, _ := versions(t, ca, 90, 10)
	addr := web.UpstreamAddr("api")
	const n = 2000
	var v1, v2 atomic.Int64
	var wg sync.WaitGroup
	work := make(chan struct{})
	errs := make(chan error, n)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				name, err := readName(addr)
				switch {
				case err != nil:
					errs <- err
				case name == "v1":
					v1.Add(1)
				case name == "v2":
					v2.Add(1)
				}
			}
		}()
	}
	for range n {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("request failed: %v", err)
	}
	share := float64(v1.Load()) / n
	t.Logf("v1 %d, v2 %d over %d connections: %.1f%% to v1", v1.Load(), v2.Load(), n, share*100)
	if share < 0.87 || share > 0.93 {
		t.Fatalf("v1 got %.1f%%, want 90%% ± 3%%", share*100)
	}
}

func TestSplitDrainToV2WithoutFailure(t *testing.T) {
	ca := newTestCA(t, "root")
	web, up := versions(t, ca, 50, 50)
	addr := web.UpstreamAddr("api")

	var (
		mu       sync.Mutex
		failures []error
		after    []string // names seen by requests that started after the move
		moved    atomic.Bool
		total    atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				started := moved.Load()
				name, err := readName(addr)
				total.Add(1)
				mu.Lock()
				if err != nil {
					failures = append(failures, err)
				} else if started {
					after = append(after, name)
				}
				mu.Unlock()
			}
		}()
	}
	waitFor(t, time.Minute, "traffic before the move", func() bool { return total.Load() > 100 })
	cfg := *web.Config()
	cfg.Index++
	nu := *up
	nu.Split = splitOf(0, 100)
	cfg.Upstreams = []*structs.MeshUpstreamConfig{&nu}
	if err := web.Update(&cfg); err != nil {
		t.Fatal(err)
	}
	moved.Store(true)
	base := total.Load()
	waitFor(t, time.Minute, "traffic after the move", func() bool { return total.Load() > base+200 })
	close(stop)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d requests failed during the move, first: %v", len(failures), total.Load(), failures[0])
	}
	for _, name := range after {
		if name != "v2" {
			t.Fatalf("a request that started after 0/100 reached %s", name)
		}
	}
	t.Logf("%d requests, %d after the move, none failed", total.Load(), len(after))
}

func TestRootRotationKeepsConnections(t *testing.T) {
	ca1 := newTestCA(t, "root-1")
	api, web, up := meshPair(t, ca1, nil)
	c, r := dialEcho(t, up)
	if got, err := say(c, r, "before"); err != nil || got != "before" {
		t.Fatalf("before rotation: %q %v", got, err)
	}
	// Rotate as the cluster does: every proxy first trusts the new root
	// beside the old one, then the leaves are renewed under the new root.
	// Each side then meets a peer of the other generation.
	ca2 := newTestCA(t, "root-2")
	bundle := []string{ca1.certPEM, ca2.certPEM}
	step := func(what string, p *Proxy, change func(*structs.MeshProxyConfig)) {
		t.Helper()
		cfg := *p.Config()
		cfg.Index++
		change(&cfg)
		if err := p.Update(&cfg); err != nil {
			t.Fatal(err)
		}
		// New connections work at each step of the rotation.
		c2, r2 := dialEcho(t, up)
		if got, err := say(c2, r2, "new"); err != nil || got != "new" {
			t.Fatalf("new connection after %s of %s: %q %v", what, cfg.Service, got, err)
		}
		c2.Close()
	}
	for _, p := range []*Proxy{api, web} {
		step("the new root", p, func(cfg *structs.MeshProxyConfig) { cfg.RootsPEM = bundle })
	}
	for _, p := range []*Proxy{api, web} {
		step("a new leaf", p, func(cfg *structs.MeshProxyConfig) {
			cfg.LeafCertPEM, cfg.LeafKeyPEM = ca2.leaf(t, cfg.Service)
		})
	}
	if got, err := say(c, r, "after"); err != nil || got != "after" {
		t.Fatalf("open connection after rotation: %q %v", got, err)
	}
	// Once the old root is gone, a peer still on an old leaf is refused.
	cfg := *api.Config()
	cfg.RootsPEM = []string{ca2.certPEM}
	if err := api.Update(&cfg); err != nil {
		t.Fatal(err)
	}
	stale := startProxy(t, clientCfg(t, ca1, &structs.MeshUpstreamConfig{DestinationName: "api",
		Instances: []*structs.MeshInstance{instance(t, api, nil, 0)}}), nil)
	c3, r3 := dialEcho(t, stale.UpstreamAddr("api"))
	if got, err := say(c3, r3, "x"); err == nil {
		t.Fatalf("a leaf of the removed root was accepted: %q", got)
	}
}
