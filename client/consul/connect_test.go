package consul

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/consul/api"
)

// A connect service's sidecar registration: Kind connect-proxy on the
// proxy's port, pointing at the service's port, with the upstreams and a
// tcp check; its ID extends the service's so that RemoveWorkload takes
// both. Runs without a Consul agent.
func TestSidecarRegistration(t *testing.T) {
	w := &Workload{AllocID: "a1", JobID: "j", JobVersion: 3, Group: "g",
		Ports: []structs.AllocatedPort{{Label: "http", Value: 21000}, {Label: "connect-proxy-web", Value: 21001}}}
	s := &structs.Service{Name: "web", Port: "http", Tags: []string{"v1"}, Connect: &structs.ConsulConnect{
		SidecarService: &structs.ConsulSidecarService{Proxy: &structs.ConsulProxy{
			Upstreams: []*structs.ConsulUpstream{{DestinationName: "api", LocalBindPort: 9090}},
		}},
	}}
	if got := s.ProxyPortLabel(); got != "connect-proxy-web" {
		t.Fatalf("proxy port label %q", got)
	}
	svc, err := w.registration(s, "10.0.0.5", "node-1")
	if err != nil {
		t.Fatal(err)
	}
	if svc.Meta[MetaJobVersion] != "3" {
		t.Errorf("meta %v lacks the job version", svc.Meta)
	}
	side, err := w.sidecarRegistration(s, svc, "10.0.0.5", "node-1")
	if err != nil {
		t.Fatal(err)
	}
	if side.Kind != api.ServiceKindConnectProxy || side.Name != "web-sidecar-proxy" || side.ID != svc.ID+SidecarSuffix ||
		side.Port != 21001 || side.Address != "10.0.0.5" || len(side.Tags) != 1 || side.Tags[0] != "v1" {
		t.Fatalf("sidecar %+v", side)
	}
	p := side.Proxy
	if p.DestinationServiceName != "web" || p.DestinationServiceID != svc.ID || p.LocalServiceAddress != "127.0.0.1" ||
		p.LocalServicePort != 21000 || len(p.Upstreams) != 1 || p.Upstreams[0].DestinationName != "api" || p.Upstreams[0].LocalBindPort != 9090 {
		t.Fatalf("proxy %+v", p)
	}
	if len(side.Checks) != 1 || side.Checks[0].TCP != "10.0.0.5:21001" {
		t.Fatalf("checks %+v", side.Checks)
	}
	if side.Meta[MetaOwner] != "node-1" {
		t.Fatalf("meta %v", side.Meta)
	}
	w.Ports = w.Ports[:1]
	if _, err := w.sidecarRegistration(s, svc, "10.0.0.5", "node-1"); err == nil {
		t.Fatal("want an error without the proxy's port")
	}
}
