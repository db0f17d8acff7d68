package mesh

import (
	"context"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/catalog"
	"github.com/appmesh/appmesh/internal/testutil"
	"github.com/appmesh/appmesh/server"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// cluster is a real in-memory server with one registered node, for the
// catalog, the placement of allocations and workload identities.
type cluster struct {
	t      *testing.T
	srv    *server.Server
	node   *structs.Node
	secret string
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s, err := server.NewServer(&server.Config{NodeName: "mesh-test", DevMode: true, RPCAddr: addr,
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Error})})
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	t.Cleanup(func() { _ = s.Shutdown() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, srv: s, secret: "node-secret"}
	c.node = &structs.Node{ID: structs.GenerateID(), Name: "n1", Datacenter: "dc1",
		Attributes: map[string]string{"kernel.name": "linux", "unique.hostname": "n1"},
		Resources:  &structs.NodeResources{CPU: 8000, Cores: 4, MemoryMB: 8192},
		Drivers:    map[string]*structs.DriverInfo{"raw_exec": {Detected: true, Healthy: true}}}
	var reply structs.NodeUpdateResponse
	testutil.WaitFor(t, "node registered", func() bool {
		return s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: c.node, SecretID: c.secret}, &reply) == nil
	})
	return c
}

// rpc is the client's RPC function: blocking reads end with ctx.
func (c *cluster) rpc(ctx context.Context, method string, args, reply any) error {
	structs.WithQueryContext(ctx, args)
	return c.srv.RPC(method, args, reply)
}

// run registers a connect job and returns its allocations once placed.
func (c *cluster) run(job *structs.Job, count int) []*structs.Allocation {
	c.t.Helper()
	var reg structs.JobRegisterResponse
	if err := c.srv.RPC(structs.JobRegisterRPC, &structs.JobRegisterRequest{Job: job}, &reg); err != nil {
		c.t.Fatalf("register %s: %v", job.ID, err)
	}
	var out []*structs.Allocation
	testutil.WaitFor(c.t, job.ID+" placed", func() bool {
		var list structs.JobAllocationsResponse
		if err := c.srv.RPC(structs.JobAllocationsRPC, &structs.JobSpecificRequest{JobID: job.ID}, &list); err != nil || len(list.Allocations) < count {
			return false
		}
		out = out[:0]
		for _, stub := range list.Allocations {
			var one structs.SingleAllocResponse
			if err := c.srv.RPC(structs.AllocGetAllocRPC, &structs.AllocSpecificRequest{AllocID: stub.ID}, &one); err != nil || one.Alloc == nil {
				return false
			}
			out = append(out, one.Alloc)
		}
		return true
	})
	return out
}

// registerProxy puts an allocation's sidecar proxy in the catalog, as
// the client's registrar does.
func (c *cluster) registerProxy(a *structs.Allocation, service, status string, tags ...string) {
	c.t.Helper()
	port, _ := proxyAllocPort(a, structs.ConnectProxyName(service), false)
	reg := &structs.ServiceRegistration{ID: "_appmesh-" + a.ID + "-group-" + a.TaskGroup + "~" + structs.ConnectSidecarName(service),
		ServiceName: structs.ConnectSidecarName(service), AllocID: a.ID, Tags: tags, Address: "10.0.0.1", Port: port, Status: status}
	var reply structs.GenericResponse
	err := c.srv.RPC(structs.ServiceUpsertRPC, &structs.ServiceUpsertRequest{Services: []*structs.ServiceRegistration{reg},
		NodeID: c.node.ID, SecretID: c.secret}, &reply)
	if err != nil {
		c.t.Fatalf("register proxy of %s: %v", a.ID, err)
	}
}

func connectJob(id string, count int, upstreams ...*structs.ConsulUpstream) *structs.Job {
	return &structs.Job{ID: id, Type: structs.JobTypeService, Datacenters: []string{"dc1"},
		Groups: []*structs.TaskGroup{{Name: id, Count: count,
			Network: &structs.NetworkResource{Ports: []*structs.Port{{Label: "http"}}},
			Services: []*structs.Service{{Name: id, Port: "http", Provider: structs.ServiceProviderAppmesh, Tags: []string{"v1"},
				Connect: &structs.ConsulConnect{SidecarService: &structs.ConsulSidecarService{Proxy: &structs.ConsulProxy{
					Config: map[string]any{"protocol": "http"}, Upstreams: upstreams}}}}},
			Tasks: []*structs.Task{{Name: id, Driver: "raw_exec", Config: map[string]any{"command": "/bin/sleep", "args": []any{"600"}},
				Resources: &structs.Resources{CPU: 100, MemoryMB: 64}}}}}}
}

// fakeLeaf hands out a leaf whose text changes on rotate.
type fakeLeaf struct {
	mu    sync.Mutex
	index uint64
}

func (f *fakeLeaf) Leaf(_ context.Context, ns, svc string) (string, string, []string, uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := strconv.FormatUint(f.index, 10)
	return "CERT " + ns + "/" + svc + " " + n, "KEY " + n, []string{"ROOT " + n}, f.index, nil
}

func (f *fakeLeaf) rotate() { f.mu.Lock(); f.index++; f.mu.Unlock() }

// fakePolicy is a blocking policy source: answers wait for a change past
// minIndex, as the servers' blocking queries do.
type fakePolicy struct {
	mu         sync.Mutex
	cond       *sync.Cond
	index      uint64
	intentions []*structs.Intention
	def        bool
	splits     []*structs.MeshSplit
}

func newFakePolicy() *fakePolicy {
	p := &fakePolicy{index: 1}
	p.cond = sync.NewCond(&p.mu)
	return p
}

func (p *fakePolicy) wait(ctx context.Context, min uint64) {
	stop := context.AfterFunc(ctx, func() { p.mu.Lock(); p.cond.Broadcast(); p.mu.Unlock() })
	defer stop()
	for p.index <= min && ctx.Err() == nil {
		p.cond.Wait()
	}
}

func (p *fakePolicy) Intentions(ctx context.Context, ns string, min uint64) ([]*structs.Intention, bool, uint64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.wait(ctx, min)
	return p.intentions, p.def, p.index, nil
}

func (p *fakePolicy) Splits(ctx context.Context, min uint64) ([]*structs.MeshSplit, uint64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.wait(ctx, min)
	return p.splits, p.index, nil
}

func (p *fakePolicy) set(f func()) {
	p.mu.Lock()
	f()
	p.index++
	p.cond.Broadcast()
	p.mu.Unlock()
}

// allocTable is the node's allocations as the builder sees them.
type allocTable struct {
	mu     sync.Mutex
	allocs map[string]*structs.Allocation
	job    map[string]*structs.Job
}

func (a *allocTable) MeshAllocGroup(id string) (*structs.Allocation, *structs.TaskGroup, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	al := a.allocs[id]
	if al == nil {
		return nil, nil, false
	}
	return al, a.job[al.JobID].LookupGroup(al.TaskGroup), true
}

// TestConfigBuilder: the config of web's proxy has its identity and
// listeners, the leaf, the intentions that name web, the passing proxies
// of api from the real catalog with their tags and job version, and api's
// split; a blocked request wakes on each kind of change with a higher
// index.
func TestConfigBuilder(t *testing.T) {
	c := newCluster(t)
	apiJob := connectJob("api", 2)
	apiAllocs := c.run(apiJob, 2)
	webJob := connectJob("web", 1, &structs.ConsulUpstream{DestinationName: "api", LocalBindPort: 9090})
	web := c.run(webJob, 1)[0]
	webJob.Canonicalize()
	c.registerProxy(apiAllocs[0], "api", structs.ServiceStatusPassing, "v1")
	c.registerProxy(apiAllocs[1], "api", structs.ServiceStatusCritical, "v1")

	reg := catalog.New(catalog.Config{RPC: catalog.RPCFunc(c.rpc), NodeID: c.node.ID, SecretID: c.secret, Address: "10.0.0.9"})
	defer reg.Shutdown()
	leaf, policy := &fakeLeaf{index: 1}, newFakePolicy()
	v1 := uint64(0)
	policy.set(func() {
		policy.intentions = []*structs.Intention{
			{ID: "b", SourceNamespace: "*", SourceName: "*", DestinationNamespace: "default", DestinationName: "*", Action: "deny", Precedence: 5},
			{ID: "a", SourceNamespace: "default", SourceName: "api", DestinationNamespace: "default", DestinationName: "web", Action: "allow", Precedence: 9},
			{ID: "c", SourceNamespace: "default", SourceName: "web", DestinationNamespace: "default", DestinationName: "api", Action: "allow", Precedence: 9},
		}
		policy.splits = []*structs.MeshSplit{{Namespace: "default", Service: "api", Subsets: []*structs.MeshSubset{{Name: "v1", JobVersion: &v1, Weight: 100}}},
			{Namespace: "default", Service: "other"}}
	})
	allocs := &allocTable{allocs: map[string]*structs.Allocation{web.ID: web}, job: map[string]*structs.Job{"web": webJob}}
	b, err := NewConfigBuilder(BuilderOptions{Leaves: leaf, Policy: policy, Catalog: catalog.NewRouter(nil, reg), Allocs: allocs,
		NodeAddr: "10.0.0.9", Region: "eu", LeafPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Shutdown()
	ctx := context.Background()

	cfg, err := b.Get(ctx, web.ID, "web", 0, 30*time.Second)
	if err != nil {
		t.Fatalf("first config: %v", err)
	}
	inbound, _ := proxyAllocPort(web, "connect-proxy-web", false)
	local, _ := proxyAllocPort(web, "http", false)
	if cfg.Namespace != "default" || cfg.Service != "web" || cfg.TrustDomain != "eu.appmesh" ||
		cfg.SPIFFEID != "spiffe://eu.appmesh/ns/default/svc/web" || cfg.Protocol != "http" ||
		cfg.InboundAddr != "10.0.0.9:"+strconv.Itoa(inbound) || cfg.LocalServiceAddr != "127.0.0.1:"+strconv.Itoa(local) {
		t.Fatalf("base config: %+v", cfg)
	}
	if cfg.LeafCertPEM != "CERT default/web 1" || cfg.LeafKeyPEM != "KEY 1" || len(cfg.RootsPEM) != 1 {
		t.Fatalf("leaf: %q %v", cfg.LeafCertPEM, cfg.RootsPEM)
	}
	if len(cfg.Intentions) != 2 || cfg.Intentions[0].ID != "a" || cfg.Intentions[1].ID != "b" {
		t.Fatalf("intentions (want a, b: those naming web, most precise first): %+v", cfg.Intentions)
	}
	up := cfg.Upstreams[0]
	if up.DestinationName != "api" || up.DestinationNamespace != "default" || up.LocalBindAddr != "127.0.0.1:9090" ||
		up.Split == nil || up.Split.Service != "api" {
		t.Fatalf("upstream: %+v", up)
	}
	if len(up.Instances) != 1 || up.Instances[0].AllocID != apiAllocs[0].ID || up.Instances[0].Tags[0] != "v1" ||
		up.Instances[0].SPIFFEID != "spiffe://eu.appmesh/ns/default/svc/api" || up.Instances[0].JobVersion != apiAllocs[0].JobVersion {
		t.Fatalf("instances (want the passing one only): %+v", up.Instances)
	}

	// Each change wakes a blocked request with a higher index.
	changes := []struct {
		what   string
		change func()
		check  func(*structs.MeshProxyConfig) bool
	}{
		{"second instance passes", func() { c.registerProxy(apiAllocs[1], "api", structs.ServiceStatusPassing, "v2") },
			func(n *structs.MeshProxyConfig) bool { return len(n.Upstreams[0].Instances) == 2 }},
		{"intention added", func() {
			policy.set(func() {
				policy.intentions = append(policy.intentions, &structs.Intention{ID: "d", SourceNamespace: "default", SourceName: "x",
					DestinationNamespace: "default", DestinationName: "web", Action: "deny", Precedence: 9})
			})
		}, func(n *structs.MeshProxyConfig) bool { return len(n.Intentions) == 3 }},
		{"split removed", func() { policy.set(func() { policy.splits = nil }) },
			func(n *structs.MeshProxyConfig) bool { return n.Upstreams[0].Split == nil }},
		{"leaf renewed", leaf.rotate, func(n *structs.MeshProxyConfig) bool { return n.LeafCertPEM == "CERT default/web 2" }},
	}
	for _, ch := range changes {
		got := make(chan *structs.MeshProxyConfig, 1)
		errc := make(chan error, 1)
		go func(idx uint64) {
			n, err := b.Get(ctx, web.ID, "web", idx, time.Minute)
			if err != nil {
				errc <- err
				return
			}
			got <- n
		}(cfg.Index)
		ch.change()
		select {
		case n := <-got:
			if n.Index <= cfg.Index || !ch.check(n) {
				t.Fatalf("%s: woke with index %d (was %d) and %+v", ch.what, n.Index, cfg.Index, n)
			}
			cfg = n
		case err := <-errc:
			t.Fatalf("%s: %v", ch.what, err)
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: the blocked request did not wake", ch.what)
		}
	}

	// An in-place update to another job version (here: the upstream moved
	// to another port) replaces the watch; a blocked request follows it.
	got := make(chan *structs.MeshProxyConfig, 1)
	go func(idx uint64) {
		n, err := b.Get(ctx, web.ID, "web", idx, time.Minute)
		if err != nil {
			t.Errorf("after the job version changed: %v", err)
		}
		got <- n
	}(cfg.Index)
	moved := webJob.Copy()
	moved.Groups[0].Services[0].Connect.SidecarService.Proxy.Upstreams[0].LocalBindPort = 9191
	movedAlloc := web.Copy()
	movedAlloc.JobVersion++
	allocs.mu.Lock()
	allocs.allocs[web.ID], allocs.job["web"] = movedAlloc, moved
	allocs.mu.Unlock()
	b.reap(time.Now())
	select {
	case n := <-got:
		if n == nil || n.Index <= cfg.Index || n.Upstreams[0].LocalBindAddr != "127.0.0.1:9191" {
			t.Fatalf("after the job version changed: %+v", n)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the blocked request did not follow the new job version")
	}

	// Unknown allocations and services without connect are refused.
	if _, err := b.Get(ctx, apiAllocs[0].ID, "api", 0, time.Second); err == nil {
		t.Fatalf("an allocation of another node's table was served")
	}
	if _, err := b.Get(ctx, web.ID, "nope", 0, time.Second); err == nil {
		t.Fatalf("a service without connect was served")
	}
}

// TestWorkloadTokens: the proxy's own workload identity opens its
// allocation's config; the same token for another allocation or another
// task, a token of another task, and garbage are refused.
func TestWorkloadTokens(t *testing.T) {
	c := newCluster(t)
	webJob := connectJob("web", 1, &structs.ConsulUpstream{DestinationName: "api", LocalBindPort: 9090})
	web := c.run(webJob, 1)[0]
	api := c.run(connectJob("api", 1), 1)[0]
	sign := func(a *structs.Allocation, task string) string {
		var out structs.SignIdentitiesResponse
		err := c.srv.RPC(structs.NodeSignIdentitiesRPC, &structs.SignIdentitiesRequest{NodeID: c.node.ID, SecretID: c.secret,
			AllocID: a.ID, Task: task}, &out)
		if err != nil || len(out.Identities) == 0 {
			t.Fatalf("sign identity of %s: %v", task, err)
		}
		return out.Identities[0].JWT
	}
	v := &WorkloadTokens{RPC: c.rpc}
	ctx := context.Background()
	webTok := sign(web, "connect-proxy-web")
	if err := v.Verify(ctx, webTok, web.ID, "connect-proxy-web"); err != nil {
		t.Fatalf("own token refused: %v", err)
	}
	apiTok := sign(api, "connect-proxy-api")
	for what, tc := range map[string][3]string{
		"foreign allocation's token": {apiTok, web.ID, "connect-proxy-web"},
		"own token, other alloc":     {webTok, api.ID, "connect-proxy-api"},
		"own token, other task":      {webTok, web.ID, "web"},
		"garbage":                    {"not-a-jwt", web.ID, "connect-proxy-web"},
	} {
		if err := v.Verify(ctx, tc[0], tc[1], tc[2]); err == nil {
			t.Errorf("%s accepted", what)
		}
	}
}

// In bridge mode the proxy listens inside the allocation's namespace at
// the port the host port is mapped to, and finds the service there; on
// the node's network it listens on the node's address at the host port.
func TestBaseConfigNetworkModes(t *testing.T) {
	b := &ConfigBuilder{opts: BuilderOptions{NodeAddr: "10.0.0.9"}, td: structs.MeshTrustDomain("")}
	svc := &structs.Service{Name: "api", Port: "http", Connect: &structs.ConsulConnect{SidecarService: &structs.ConsulSidecarService{}}}
	alloc := &structs.Allocation{ID: "a1", Namespace: "prod", AllocatedPorts: []structs.AllocatedPort{
		{Label: "http", Value: 23000, To: 8080}, {Label: "connect-proxy-api", Value: 23001}}}
	host, err := proxyBaseConfig(b, alloc, false, svc, false)
	if err != nil || host.InboundAddr != "10.0.0.9:23001" || host.LocalServiceAddr != "127.0.0.1:23000" ||
		host.SPIFFEID != "spiffe://global.appmesh/ns/prod/svc/api" || host.Protocol != "tcp" {
		t.Fatalf("host mode: %+v %v", host, err)
	}
	bridge, err := proxyBaseConfig(b, alloc, true, svc, false)
	if err != nil || bridge.InboundAddr != "0.0.0.0:23001" || bridge.LocalServiceAddr != "127.0.0.1:8080" {
		t.Fatalf("bridge mode: %+v %v", bridge, err)
	}
	svc.Connect.SidecarService.Proxy = &structs.ConsulProxy{LocalServiceAddress: "127.0.0.5", LocalServicePort: 9000}
	custom, err := proxyBaseConfig(b, alloc, false, svc, false)
	if err != nil || custom.LocalServiceAddr != "127.0.0.5:9000" {
		t.Fatalf("local_service_address/port: %+v %v", custom, err)
	}
	if _, err := proxyBaseConfig(b, &structs.Allocation{ID: "a2"}, false, svc, false); err == nil {
		t.Fatal("an allocation without the proxy's port was accepted")
	}
}
