package mesh

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/internal/testutil"
	"github.com/appmesh/appmesh/mesh/ca"
	"github.com/appmesh/appmesh/server"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// leafFixture is a real in-process server with a registered node that
// runs an allocation of a job declaring service "api".
type leafFixture struct {
	srv    *server.Server
	nodeID string
	secret string
}

func newLeafFixture(t *testing.T, meshCA server.MeshCAConfig) *leafFixture {
	t.Helper()
	logger := hclog.New(&hclog.LoggerOptions{Name: t.Name(), Level: hclog.Error})
	srv, err := server.NewServer(&server.Config{NodeName: "s1", DevMode: true, RPCAddr: freeAddr(t), Logger: logger, MeshCA: meshCA})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	f := &leafFixture{srv: srv, nodeID: structs.GenerateID(), secret: "secret-" + structs.GenerateID()}
	node := &structs.Node{ID: f.nodeID, Name: "n1", Datacenter: "dc1",
		Attributes: map[string]string{"kernel.name": "linux", "unique.hostname": "n1"},
		Resources:  &structs.NodeResources{CPU: 1000, Cores: 2, MemoryMB: 1024},
		Drivers:    map[string]*structs.DriverInfo{"exec": {Detected: true, Healthy: true}}}
	if err := srv.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: node, SecretID: f.secret}, &structs.NodeUpdateResponse{}); err != nil {
		t.Fatal(err)
	}
	job := &structs.Job{ID: "api", Type: structs.JobTypeService, Groups: []*structs.TaskGroup{{
		Name: "g", Count: 1,
		Services: []*structs.Service{{Name: "api", Provider: structs.ServiceProviderAppmesh}},
		Tasks: []*structs.Task{{Name: "t", Driver: "exec", Config: map[string]any{"command": "/bin/sleep"},
			Resources: &structs.Resources{CPU: 100, MemoryMB: 64}}},
	}}}
	if err := srv.RPC(structs.JobRegisterRPC, &structs.JobRegisterRequest{Job: job}, &structs.JobRegisterResponse{}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the allocation placed on the node", func() bool {
		allocs, err := srv.State().AllocsByNode(nil, f.nodeID)
		return err == nil && len(allocs) == 1
	})
	return f
}

// manager is a LeafManager calling the server in-process, as the client
// agent of an all-in-one agent does.
func (f *leafFixture) manager(t *testing.T) *LeafManager {
	t.Helper()
	m, err := NewLeafManager(LeafConfig{
		RPC: func(ctx context.Context, method string, args, reply any) error {
			structs.WithQueryContext(ctx, args)
			return f.srv.RPC(method, args, reply)
		},
		NodeID: f.nodeID, SecretID: f.secret, RetryMin: 100 * time.Millisecond, RetryMax: time.Second,
		RootsWait: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return m
}

func leafCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// checkBundle: the key pairs with the certificate, and the leaf verifies
// against the bundle's roots as the service's identity.
func checkBundle(t *testing.T, b *LeafBundle, service string) *ca.Leaf {
	t.Helper()
	if _, err := tls.X509KeyPair([]byte(b.CertPEM), []byte(b.KeyPEM)); err != nil {
		t.Fatalf("key and certificate do not pair: %v", err)
	}
	pool, err := ca.PoolFromPEM(b.RootsPEM)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ca.ParseCertPEM(b.CertPEM)
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.VerifyPeer([][]byte{c.Raw}, pool)
	want := structs.MeshSPIFFEID(structs.MeshTrustDomain(""), "default", service)
	if err != nil || id != want || b.SPIFFEID != want {
		t.Fatalf("leaf identity %q (%q), %v; want %q", id, b.SPIFFEID, err, want)
	}
	return &ca.Leaf{CertPEM: b.CertPEM, Serial: c.SerialNumber.Text(16), NotAfter: c.NotAfter}
}

// TestLeafManagerRenews: with a 3s leaf TTL the manager hands out a valid
// leaf, renews it at about two thirds of its lifetime (not before), tells
// Changed, and keeps doing so.
func TestLeafManagerRenews(t *testing.T) {
	f := newLeafFixture(t, server.MeshCAConfig{LeafTTL: 3 * time.Second})
	m := f.manager(t)
	ctx := leafCtx(t)
	changed := m.Changed()
	b1, err := m.Leaf(ctx, "default", "api")
	if err != nil {
		t.Fatal(err)
	}
	got1 := time.Now()
	first := checkBundle(t, b1, "api")
	for _, svc := range []string{"api-sidecar-proxy"} {
		b, err := m.Leaf(ctx, "default", svc)
		if err != nil {
			t.Fatalf("%s: %v", svc, err)
		}
		checkBundle(t, b, svc)
	}
	select {
	case <-changed:
	default:
		t.Fatal("Changed was not closed by the first leaf")
	}
	// Changed is taken before each read, so no change is missed.
	var b2 *LeafBundle
	for {
		ch := m.Changed()
		if b2, err = m.Leaf(ctx, "default", "api"); err != nil {
			t.Fatal(err)
		}
		if b2.CertPEM != b1.CertPEM {
			break
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatal("the leaf was not renewed")
		}
	}
	renewedAfter := time.Since(got1)
	second := checkBundle(t, b2, "api")
	if second.Serial == first.Serial || b2.KeyPEM == b1.KeyPEM || b2.Index <= b1.Index {
		t.Fatalf("renewal kept serial %s / key / index %d -> %d", second.Serial, b1.Index, b2.Index)
	}
	// Renewal is due two thirds into what was left of the leaf when it
	// arrived (ValidBefore is in whole seconds); a renewal sooner means it
	// ignored the lifetime (e.g. counted from the backdated NotBefore).
	if due := b1.ValidBefore.Sub(got1) * 2 / 3; renewedAfter < due-200*time.Millisecond {
		t.Fatalf("renewed after %v, due after %v (two thirds of the leaf's lifetime)", renewedAfter, due)
	}
	if !second.NotAfter.After(first.NotAfter) {
		t.Fatalf("renewed leaf ends %v, first %v", second.NotAfter, first.NotAfter)
	}
	t.Logf("leaf renewed %v after the first (TTL 3s)", renewedAfter.Round(10*time.Millisecond))
}

// TestLeafManagerRotation: a root rotation reaches the manager through the
// roots watch; the leaf (72h, far from renewal) is re-signed by the new
// root at once, and the roots list both roots meanwhile.
func TestLeafManagerRotation(t *testing.T) {
	f := newLeafFixture(t, server.MeshCAConfig{})
	m := f.manager(t)
	ctx := leafCtx(t)
	b1, err := m.Leaf(ctx, "default", "api")
	if err != nil {
		t.Fatal(err)
	}
	checkBundle(t, b1, "api")
	var rot structs.MeshRotateRootResponse
	if err := f.srv.RPC(structs.MeshRotateRootRPC, &structs.MeshRotateRootRequest{}, &rot); err != nil {
		t.Fatal(err)
	}
	newPool, _ := ca.PoolFromPEM([]string{rot.Root.CertPEM})
	var b2 *LeafBundle
	testutil.WaitFor(t, "the leaf re-signed by the new root", func() bool {
		b2, err = m.Leaf(ctx, "default", "api")
		if err != nil {
			return false
		}
		c, err := ca.ParseCertPEM(b2.CertPEM)
		if err != nil {
			return false
		}
		_, err = ca.VerifyPeer([][]byte{c.Raw}, newPool)
		return err == nil && len(b2.RootsPEM) == 2
	})
	checkBundle(t, b2, "api")
	// The old leaf still verifies against the bundle's roots (the old root
	// is trusted until its leaves expire), so open connections survive.
	old, _ := ca.ParseCertPEM(b1.CertPEM)
	pool, _ := ca.PoolFromPEM(b2.RootsPEM)
	if _, err := ca.VerifyPeer([][]byte{old.Raw}, pool); err != nil {
		t.Fatalf("the old leaf no longer verifies after rotation: %v", err)
	}
}

// TestLeafManagerRefusedAndStop: a service the node does not run gets no
// leaf (Leaf says why at once); Stop ends everything and Leaf refuses
// afterwards.
func TestLeafManagerRefusedAndStop(t *testing.T) {
	f := newLeafFixture(t, server.MeshCAConfig{})
	m := f.manager(t)
	ctx := leafCtx(t)
	for i := 0; i < 2; i++ { // the first ask, and one while the renewer retries
		if b, err := m.Leaf(ctx, "default", "db"); err == nil || !strings.Contains(err.Error(), "Permission denied") {
			t.Fatalf("leaf for a service the node does not run: %v, %v", b, err)
		}
	}
	if ctx.Err() != nil {
		t.Fatal("Leaf waited for its context instead of answering the refusal")
	}
	m.Forget("default", "db")
	done := make(chan struct{})
	go func() { m.Stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Stop did not return")
	}
	if _, err := m.Leaf(context.Background(), "default", "api"); err == nil {
		t.Fatal("Leaf after Stop")
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
