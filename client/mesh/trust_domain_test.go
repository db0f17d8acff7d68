package mesh

import (
	"testing"

	"github.com/appmesh/appmesh/mesh/proxy/proxytest"
	"github.com/appmesh/appmesh/structs"
)

// A CA with another trust domain (server { mesh_trust_domain }) decides
// the proxy's identity and the identities its upstreams must present.
func TestBuildTakesTheLeafsTrustDomain(t *testing.T) {
	ca := proxytest.NewCA(t, "prod.example")
	cert, _ := ca.Leaf(t, "prod.example", "default", "web")
	id, td, err := leafIdentity(cert)
	if err != nil || td != "prod.example" {
		t.Fatalf("leaf identity %q %q %v", id, td, err)
	}
	inst := []*structs.MeshInstance{{Address: "10.0.0.1", Port: 1, SPIFFEID: structs.MeshSPIFFEID("global.appmesh", "default", "api")}}
	w := &proxyWatch{
		b:         &ConfigBuilder{},
		base:      structs.MeshProxyConfig{Namespace: "default", Service: "web", TrustDomain: "global.appmesh", SPIFFEID: structs.MeshSPIFFEID("global.appmesh", "default", "web"), Upstreams: []*structs.MeshUpstreamConfig{{DestinationNamespace: "default", DestinationName: "api"}}},
		leaf:      &proxyLeaf{cert: cert, id: id, td: td},
		instances: map[int][]*structs.MeshInstance{0: inst},
		splits:    map[string]*structs.MeshSplit{},
	}
	c := w.build()
	if c.TrustDomain != "prod.example" || c.SPIFFEID != "spiffe://prod.example/ns/default/svc/web" {
		t.Fatalf("proxy identity %q in %q, want the leaf's", c.SPIFFEID, c.TrustDomain)
	}
	if got := c.Upstreams[0].Instances[0].SPIFFEID; got != "spiffe://prod.example/ns/default/svc/api" {
		t.Fatalf("upstream instance identity %q, want it in the CA's trust domain", got)
	}
	if inst[0].SPIFFEID != structs.MeshSPIFFEID("global.appmesh", "default", "api") {
		t.Fatal("build changed the watch's own instance list")
	}
}

// An ingress gateway's config goes through the same build: its identity
// and its upstreams' are the leaf's trust domain, not the one the builder
// assumed when it made the base config.
func TestGatewayTakesTheLeafsTrustDomain(t *testing.T) {
	ca := proxytest.NewCA(t, "prod.example")
	cert, _ := ca.Leaf(t, "prod.example", "default", "api-ingress")
	id, td, err := leafIdentity(cert)
	if err != nil {
		t.Fatal(err)
	}
	b := &ConfigBuilder{opts: BuilderOptions{NodeAddr: "10.0.0.5"}, td: "global.appmesh"}
	svc := &structs.Service{Name: "api-ingress", Port: "inbound", Connect: &structs.ConsulConnect{Gateway: &structs.ConsulGateway{
		Ingress: &structs.ConsulIngressConfigEntry{Listeners: []*structs.ConsulIngressListener{
			{Port: 8080, Services: []*structs.ConsulIngressService{{Name: "api"}}},
		}}}}}
	alloc := &structs.Allocation{ID: "a1", Namespace: "default"}
	base, err := proxyBaseConfig(b, alloc, false, svc, false)
	if err != nil {
		t.Fatal(err)
	}
	inst := []*structs.MeshInstance{{Address: "10.0.0.1", Port: 1, SPIFFEID: structs.MeshSPIFFEID("global.appmesh", "default", "api")}}
	w := &proxyWatch{b: b, base: base, leaf: &proxyLeaf{cert: cert, id: id, td: td},
		instances: map[int][]*structs.MeshInstance{0: inst}, splits: map[string]*structs.MeshSplit{}}
	c := w.build()
	if c.Gateway != structs.MeshGatewayIngress || c.TrustDomain != "prod.example" ||
		c.SPIFFEID != "spiffe://prod.example/ns/default/svc/api-ingress" {
		t.Fatalf("gateway identity %q in %q (gateway %q), want the leaf's", c.SPIFFEID, c.TrustDomain, c.Gateway)
	}
	if got := c.Upstreams[0].Instances[0].SPIFFEID; got != "spiffe://prod.example/ns/default/svc/api" {
		t.Fatalf("gateway upstream identity %q, want it in the CA's trust domain", got)
	}
}
