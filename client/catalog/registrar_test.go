package catalog

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/consul"
	"github.com/appmesh/appmesh/internal/testutil"
	"github.com/appmesh/appmesh/structs"
)

// servers records what the registrar sends, standing in for the RPC
// transport only (the server side has its own tests: server/
// endpoint_service_test.go, e2e/services_test.go). fail makes the next
// calls fail, as an unreachable server would.
type servers struct {
	mu      sync.Mutex
	catalog map[string]*structs.ServiceRegistration
	calls   int
	fail    atomic.Int32
}

func (s *servers) rpc(_ context.Context, method string, args, _ any) error {
	if method != structs.ServiceUpsertRPC {
		return errors.New("unexpected RPC " + method)
	}
	if s.fail.Load() > 0 {
		s.fail.Add(-1)
		return errors.New("no cluster leader")
	}
	req := args.(*structs.ServiceUpsertRequest)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	for _, id := range req.Deletes {
		delete(s.catalog, id)
	}
	for _, r := range req.Services {
		s.catalog[r.ID] = r.Copy()
	}
	return nil
}

func (s *servers) status(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.catalog[id]; r != nil {
		return r.Status
	}
	return "absent"
}

// TestRegistrarChecksAndRemoval: an instance with an http check is
// registered critical, turns passing when the check passes and critical
// again when it fails; a sync that fails is retried; removal deletes it;
// a Consul service of the same workload is not in the catalog.
func TestRegistrarChecksAndRemoval(t *testing.T) {
	var healthy atomic.Bool
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !healthy.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer app.Close()
	_, p, _ := net.SplitHostPort(app.Listener.Addr().String())
	port, _ := strconv.Atoi(p)

	srv := &servers{catalog: map[string]*structs.ServiceRegistration{}}
	srv.fail.Store(2) // the first two calls fail: the registrar retries
	r := New(Config{RPC: srv.rpc, NodeID: "node-1", SecretID: "s", Address: "127.0.0.1"})
	defer r.Shutdown()

	check := &structs.Check{Type: structs.CheckTypeHTTP, Path: "/health",
		Interval: structs.Duration(100 * time.Millisecond), Timeout: structs.Duration(time.Second)}
	w := &consul.Workload{AllocID: "alloc-1", JobID: "web", Group: "g", Task: "t",
		Ports: []structs.AllocatedPort{{Label: "http", Value: port}},
		Services: []*structs.Service{
			{Name: "api", Port: "http", Provider: structs.ServiceProviderNomad, Tags: []string{"v1"}, Checks: []*structs.Check{check}},
			{Name: "plain", Port: "http", Provider: structs.ServiceProviderAppmesh},
			{Name: "in-consul", Port: "http"},
		}}
	if err := r.RegisterWorkload(w); err != nil {
		t.Fatal(err)
	}
	api, plain := w.ServiceID(w.Services[0]), w.ServiceID(w.Services[1])
	testutil.WaitFor(t, "api registered critical, plain passing", func() bool {
		return srv.status(api) == structs.ServiceStatusCritical && srv.status(plain) == structs.ServiceStatusPassing
	})
	if got := srv.status(w.ServiceID(w.Services[2])); got != "absent" {
		t.Fatalf("a Consul service reached the catalog: %s", got)
	}
	srv.mu.Lock()
	reg := srv.catalog[api].Copy()
	srv.mu.Unlock()
	if reg.Address != "127.0.0.1" || reg.Port != port || reg.AllocID != "alloc-1" || reg.NodeID != "node-1" || reg.Tags[0] != "v1" {
		t.Fatalf("registration: %+v", reg)
	}
	healthy.Store(true)
	testutil.WaitFor(t, "api passing", func() bool { return srv.status(api) == structs.ServiceStatusPassing })
	healthy.Store(false)
	testutil.WaitFor(t, "api critical again", func() bool { return srv.status(api) == structs.ServiceStatusCritical })

	r.RemoveWorkload("alloc-1", "g", "t")
	testutil.WaitFor(t, "both removed", func() bool { return srv.status(api) == "absent" && srv.status(plain) == "absent" })
	// Removal stopped the checks (RemoveWorkload waits for them): a
	// passing check now brings nothing back. Another workload's sync is
	// the barrier that anything queued before it has been sent.
	healthy.Store(true)
	other := &consul.Workload{AllocID: "alloc-2", JobID: "web", Group: "g", Task: "t",
		Services: []*structs.Service{{Name: "other", Provider: structs.ServiceProviderAppmesh}}}
	if err := r.RegisterWorkload(other); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the other workload synced", func() bool {
		return srv.status(other.ServiceID(other.Services[0])) == structs.ServiceStatusPassing
	})
	if got := srv.status(api); got != "absent" {
		t.Fatalf("after removal the instance came back as %s", got)
	}
}

// TestRouterSplitsProviders: the router hands Consul only the services
// without a native provider, and removes from both.
func TestRouterSplitsProviders(t *testing.T) {
	srv := &servers{catalog: map[string]*structs.ServiceRegistration{}}
	r := New(Config{RPC: srv.rpc, NodeID: "n", SecretID: "s"})
	defer r.Shutdown()
	c := &consulRecorder{}
	rt := NewRouter(c, r)
	w := &consul.Workload{AllocID: "a", JobID: "j", Group: "g", Services: []*structs.Service{
		{Name: "native", Provider: structs.ServiceProviderAppmesh}, {Name: "viaconsul", Provider: structs.ServiceProviderConsul}, {Name: "default"}}}
	if err := rt.RegisterWorkload(w); err != nil {
		t.Fatal(err)
	}
	if len(c.got) != 2 || c.got[0] != "viaconsul" || c.got[1] != "default" {
		t.Fatalf("consul got %v", c.got)
	}
	testutil.WaitFor(t, "native registered", func() bool { return srv.status(w.ServiceID(w.Services[0])) == structs.ServiceStatusPassing })
	rt.RemoveWorkload("a", "g", "")
	if c.removed != 1 {
		t.Fatalf("consul removals: %d", c.removed)
	}
	testutil.WaitFor(t, "native removed", func() bool { return srv.status(w.ServiceID(w.Services[0])) == "absent" })
	// Without Consul, nothing but the catalog is used, and no error.
	if err := NewRouter(nil, r).RegisterWorkload(w); err != nil {
		t.Fatal(err)
	}
	// Registers: without Consul only native services count.
	consulOnly := []*structs.Service{{Name: "x"}, {Name: "y", Provider: structs.ServiceProviderConsul}}
	if NewRouter(nil, r).Registers(consulOnly) || !rt.Registers(consulOnly) || !NewRouter(nil, r).Registers(w.Services) {
		t.Fatal("Registers: Consul services count only with Consul on, native ones always")
	}
}

type consulRecorder struct {
	got     []string
	removed int
}

func (c *consulRecorder) RegisterWorkload(w *consul.Workload) error {
	for _, s := range w.Services {
		c.got = append(c.got, s.Name)
	}
	return nil
}

func (c *consulRecorder) RemoveWorkload(string, string, string) { c.removed++ }
