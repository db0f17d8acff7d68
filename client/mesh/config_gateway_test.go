package mesh

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// An ingress gateway's config has no inbound listener, its listeners are
// upstreams bound on the node's address (0.0.0.0 in a bridge namespace),
// and it speaks as its own service.
func TestGatewayBaseConfig(t *testing.T) {
	b := &ConfigBuilder{opts: BuilderOptions{NodeAddr: "10.0.0.5"}, td: "global.appmesh"}
	svc := &structs.Service{Name: "api-ingress", Port: "inbound", Connect: &structs.ConsulConnect{Gateway: &structs.ConsulGateway{
		Proxy: &structs.ConsulGatewayProxy{ConnectTimeout: structs.Duration(2e9)},
		Ingress: &structs.ConsulIngressConfigEntry{Listeners: []*structs.ConsulIngressListener{
			{Port: 8080, Protocol: "http", Services: []*structs.ConsulIngressService{{Name: "api"}}},
			{Port: 9000, Services: []*structs.ConsulIngressService{{Name: "db", Namespace: "data"}}},
		}}}}}
	c := gatewayBaseConfig(b, false, svc, "prod", false)
	if c.Gateway != structs.MeshGatewayIngress || c.InboundAddr != "" || c.LocalServiceAddr != "" ||
		c.SPIFFEID != "spiffe://global.appmesh/ns/prod/svc/api-ingress" || len(c.Upstreams) != 2 {
		t.Fatalf("config: %+v", c)
	}
	u0, u1 := c.Upstreams[0], c.Upstreams[1]
	if u0.LocalBindAddr != "10.0.0.5:8080" || u0.Protocol != "http" || u0.DestinationName != "api" ||
		u0.DestinationNamespace != "prod" || u0.ConnectTimeout != structs.Duration(2e9) {
		t.Errorf("http listener: %+v", u0)
	}
	if u1.LocalBindAddr != "10.0.0.5:9000" || u1.Protocol != "tcp" || u1.DestinationNamespace != "data" || u1.ConnectTimeout != structs.Duration(2e9) {
		t.Errorf("tcp listener: %+v", u1)
	}
	if c := gatewayBaseConfig(b, true, svc, "prod", false); c.Upstreams[0].LocalBindAddr != "0.0.0.0:8080" {
		t.Errorf("bridge: %s", c.Upstreams[0].LocalBindAddr)
	}
}
