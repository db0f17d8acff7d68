package catalog

import (
	"net"
	"strconv"
	"testing"

	"github.com/appmesh/appmesh/client/consul"
	"github.com/appmesh/appmesh/internal/testutil"
	"github.com/appmesh/appmesh/structs"
)

// TestSidecarProxyRegistration: a connect service's proxy is registered
// natively as <service>-sidecar-proxy on the proxy's port with the
// service's tags and the allocation's job version, even when the service
// itself goes to Consul; it is critical until the proxy listens.
func TestSidecarProxyRegistration(t *testing.T) {
	g := &structs.TaskGroup{Name: "g", Services: []*structs.Service{{Name: "web", Port: "http", Tags: []string{"v2"},
		Connect: &structs.ConsulConnect{SidecarService: &structs.ConsulSidecarService{}}}}}
	sidecars := structs.ConnectSidecarServices(g)
	if len(sidecars) != 1 || sidecars[0].Name != "web-sidecar-proxy" || sidecars[0].Port != "connect-proxy-web" || !sidecars[0].IsNative() {
		t.Fatalf("sidecar services: %+v", sidecars)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // the proxy is not listening yet

	srv := &servers{catalog: map[string]*structs.ServiceRegistration{}}
	r := New(Config{RPC: srv.rpc, NodeID: "node-1", SecretID: "s", Address: "127.0.0.1"})
	defer r.Shutdown()
	w := &consul.Workload{AllocID: "alloc-1", JobID: "web", JobVersion: 7, Group: "g",
		Ports:    []structs.AllocatedPort{{Label: "http", Value: 1}, {Label: "connect-proxy-web", Value: port}},
		Services: append(structs.CopyServices(g.Services), sidecars...)}
	if err := NewRouter(nil, r).RegisterWorkload(w); err != nil {
		t.Fatal(err)
	}
	id := w.ServiceID(sidecars[0])
	testutil.WaitFor(t, "proxy registered critical", func() bool { return srv.status(id) == structs.ServiceStatusCritical })
	srv.mu.Lock()
	reg := srv.catalog[id].Copy()
	srv.mu.Unlock()
	if reg.ServiceName != "web-sidecar-proxy" || reg.Port != port || reg.JobVersion != 7 || len(reg.Tags) != 1 || reg.Tags[0] != "v2" {
		t.Fatalf("registration: %+v", reg)
	}
	if got := srv.status(w.ServiceID(g.Services[0])); got != "absent" {
		t.Fatalf("the Consul service reached the catalog: %s", got)
	}
	proxy, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("listen as the proxy: %v", err)
	}
	defer proxy.Close()
	testutil.WaitFor(t, "proxy passing once it listens", func() bool { return srv.status(id) == structs.ServiceStatusPassing })
}
