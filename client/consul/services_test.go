package consul_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/consul"
	"github.com/appmesh/appmesh/client/consul/consultest"
	"github.com/appmesh/appmesh/internal/testutil"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"
)

// waitUntil polls cond; the bound only keeps a broken run from hanging
// (the Consul checks involved run every second).
func waitUntil(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	testutil.WaitForState(t, what, cond)
}

// healthServer answers its HTTP check with 200 while healthy is set.
func healthServer(t *testing.T, healthy *atomic.Bool) int {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !healthy.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	t.Cleanup(srv.Close)
	_, p, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ := strconv.Atoi(p)
	return port
}

func workload(allocID string, port int, checks ...*structs.Check) *consul.Workload {
	return &consul.Workload{
		AllocID: allocID, JobID: "web", Group: "g", Task: "api",
		Ports: []structs.AllocatedPort{{Label: "http", Value: port}},
		Services: []*structs.Service{{
			Name: "web-api", Port: "http", Tags: []string{"v1"}, Checks: checks,
		}},
	}
}

func newClient(t *testing.T, c *api.Client, node string) *consul.ServiceClient {
	return consul.NewServiceClient(consul.ServiceConfig{
		API: c, Node: node, Address: "127.0.0.1", ReconcileInterval: 200 * time.Millisecond,
	})
}

// serviceHealth returns the aggregated check status of a service ID.
func serviceHealth(c *api.Client, id string) (string, string) {
	status, info, err := c.Agent().AgentHealthServiceByID(id)
	if err != nil {
		return "", err.Error()
	}
	if info == nil {
		return status, "not registered"
	}
	return status, fmt.Sprintf("%s with %d checks", status, len(info.Checks))
}

func TestServiceRegisteredWithCheckAndRemoved(t *testing.T) {
	ca := consultest.Start(t)
	c := ca.API()
	var healthy atomic.Bool
	healthy.Store(true)
	port := healthServer(t, &healthy)
	sc := newClient(t, c, "node-1")
	w := workload("a1", port, &structs.Check{Type: "http", Path: "/health", Interval: structs.Duration(time.Second), Timeout: structs.Duration(time.Second)})
	if err := sc.RegisterWorkload(w); err != nil {
		t.Fatal(err)
	}
	id := "_appmesh-a1-task-api~web-api"
	waitUntil(t, "passing service in the catalog", func() (bool, string) {
		entries, _, err := c.Health().Service("web-api", "v1", true, nil)
		if err != nil {
			return false, err.Error()
		}
		return len(entries) == 1 && entries[0].Service.ID == id && entries[0].Service.Port == port, fmt.Sprintf("%d passing entries", len(entries))
	})
	healthy.Store(false)
	waitUntil(t, "the check to turn critical", func() (bool, string) {
		s, info := serviceHealth(c, id)
		return s == api.HealthCritical, info
	})
	sc.RemoveWorkload("a1", "g", "api")
	svcs, err := c.Agent().Services()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := svcs[id]; ok {
		t.Fatalf("service %s still registered after RemoveWorkload", id)
	}
}

func TestReconcileRepairsDrift(t *testing.T) {
	ca := consultest.Start(t)
	c := ca.API()
	sc := newClient(t, c, "node-1")
	if err := sc.RegisterWorkload(workload("a2", 8080, &structs.Check{Type: "tcp", Interval: structs.Duration(time.Second)})); err != nil {
		t.Fatal(err)
	}
	id := "_appmesh-a2-task-api~web-api"
	// Removed by hand; a stale service of this node and one of another
	// appmesh node appear.
	if err := c.Agent().ServiceDeregister(id); err != nil {
		t.Fatal(err)
	}
	stale := &api.AgentServiceRegistration{ID: "_appmesh-gone-api-x", Name: "x", Meta: map[string]string{consul.MetaOwner: "node-1"}}
	other := &api.AgentServiceRegistration{ID: "_appmesh-other-api-y", Name: "y", Meta: map[string]string{consul.MetaOwner: "node-2"}}
	for _, r := range []*api.AgentServiceRegistration{stale, other} {
		if err := c.Agent().ServiceRegister(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := sc.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	svcs, err := c.Agent().Services()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := svcs[id]; !ok {
		t.Errorf("service removed by hand was not re-registered")
	}
	if _, ok := svcs[stale.ID]; ok {
		t.Errorf("stale service of this node was not removed")
	}
	if _, ok := svcs[other.ID]; !ok {
		t.Errorf("another node's service was removed")
	}
}

func TestRunReRegistersAfterConsulRestart(t *testing.T) {
	ca := consultest.Start(t)
	c := ca.API()
	sc := newClient(t, c, "node-1")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sc.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	if err := sc.RegisterWorkload(workload("a3", 8080)); err != nil {
		t.Fatal(err)
	}
	id := "_appmesh-a3-task-api~web-api"
	ca.Restart() // a dev agent forgets everything
	waitUntil(t, "re-registration after the consul restart", func() (bool, string) {
		svcs, err := c.Agent().Services()
		if err != nil {
			return false, err.Error()
		}
		_, ok := svcs[id]
		return ok, fmt.Sprintf("%d services", len(svcs))
	})
}

func TestScriptCheckReportsTTL(t *testing.T) {
	ca := consultest.Start(t)
	c := ca.API()
	sc := newClient(t, c, "node-1")
	var exit atomic.Int32
	w := workload("a4", 8080, &structs.Check{Type: "script", Command: "/bin/check", Interval: structs.Duration(100 * time.Millisecond), Timeout: structs.Duration(time.Second)})
	w.Exec = func(_ context.Context, cmd []string, _ time.Duration) (int, string, error) {
		return int(exit.Load()), "ran " + cmd[0], nil
	}
	if err := sc.RegisterWorkload(w); err != nil {
		t.Fatal(err)
	}
	id := "_appmesh-a4-task-api~web-api"
	waitUntil(t, "a passing TTL check", func() (bool, string) {
		s, info := serviceHealth(c, id)
		return s == api.HealthPassing, info
	})
	exit.Store(2)
	waitUntil(t, "a critical TTL check", func() (bool, string) {
		s, info := serviceHealth(c, id)
		return s == api.HealthCritical, info
	})
	sc.RemoveWorkload("a4", "g", "api")
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// While Consul is down the outage is logged once, the failed calls are
// retried with back-off, and everything is registered when it is back.
func TestOutageLoggedOnceAndRepaired(t *testing.T) {
	ca := consultest.Start(t)
	c := ca.API()
	logs := &syncBuffer{}
	sc := consul.NewServiceClient(consul.ServiceConfig{
		API: c, Node: "node-1", Address: "127.0.0.1", ReconcileInterval: 200 * time.Millisecond,
		Logger: hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Info}),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sc.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	ca.Stop()
	for i := 0; i < 3; i++ { // three registrations fail while it is down
		if err := sc.RegisterWorkload(workload(fmt.Sprintf("o%d", i), 8080)); err != nil {
			t.Fatal(err)
		}
	}
	ca.Relaunch()
	waitUntil(t, "all services registered after the outage", func() (bool, string) {
		svcs, err := c.Agent().Services()
		if err != nil {
			return false, err.Error()
		}
		n := 0
		for id := range svcs {
			if strings.HasPrefix(id, "_appmesh-o") {
				n++
			}
		}
		return n == 3, fmt.Sprintf("%d of 3", n)
	})
	if n := logs.count("consul agent unreachable"); n != 1 {
		t.Errorf("outage logged %d times, want once:\n%s", n, logs.buf.String())
	}
	waitUntil(t, "the recovery to be logged", func() (bool, string) {
		return logs.count("reachable again") == 1, "not yet"
	})
}
