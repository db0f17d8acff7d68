package mesh

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/consul/consultest"
	"github.com/appmesh/appmesh/mesh/intention"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/consul/api"
)

// ConsulMesh against a real Consul dev agent (Connect on): the leaf names
// Consul's identity of the service and chains to Consul's roots,
// intentions map to appmesh's and decide as Consul does, the default
// follows Consul (allow in dev mode), and a sidecar's instances carry
// Consul's identity of the destination.
func TestConsulMeshSources(t *testing.T) {
	ca := consultest.Start(t)
	c := ca.API()
	m := &ConsulMesh{API: c, Wait: 2 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	certPEM, keyPEM, roots, _, err := m.Leaf(ctx, "default", "api")
	if err != nil {
		t.Fatal(err)
	}
	if keyPEM == "" || len(roots) == 0 {
		t.Fatalf("leaf without key (%t) or roots (%d)", keyPEM == "", len(roots))
	}
	id, td, err := leafIdentity(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(td, ".consul") || id != structs.ConsulSPIFFEID(td, "default", "dc1", "api") {
		t.Fatalf("leaf identity %q in %q, want Consul's spiffe://<id>.consul/ns/default/dc/dc1/svc/api", id, td)
	}

	pol := m.Policy("api")
	list, def, idx, err := pol.Intentions(ctx, "default", 0)
	if err != nil || len(list) != 0 || !def {
		t.Fatalf("no intentions yet: %v default %t err %v", list, def, err)
	}
	if _, err := c.Connect().IntentionUpsert(&api.Intention{SourceName: "web", DestinationName: "api", Action: api.IntentionActionDeny}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Connect().IntentionUpsert(&api.Intention{SourceName: "*", DestinationName: "api", Action: api.IntentionActionAllow}, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(list) < 2 && time.Now().Before(deadline) {
		if list, def, idx, err = pol.Intentions(ctx, "default", idx); err != nil {
			t.Fatal(err)
		}
	}
	if len(list) != 2 || list[0].SourceName != "web" || list[0].Precedence <= list[1].Precedence {
		t.Fatalf("intentions %+v, want web→api before *→api", list)
	}
	dst := intention.Service{Namespace: "default", Name: "api"}
	if d := intention.Decide(list, intention.Service{Namespace: "default", Name: "web"}, dst, def); d.Allow {
		t.Errorf("web → api allowed: %+v", d)
	}
	if d := intention.Decide(list, intention.Service{Namespace: "default", Name: "other"}, dst, def); !d.Allow {
		t.Errorf("other → api denied: %+v", d)
	}

	// A connect-proxy of api, passing, is an instance with Consul's identity.
	err = c.Agent().ServiceRegister(&api.AgentServiceRegistration{Kind: api.ServiceKindConnectProxy,
		ID: "api-proxy-1", Name: "api-sidecar-proxy", Port: 21001, Address: "127.0.0.1",
		Meta:  map[string]string{consulMetaJobVersion: "4"},
		Proxy: &api.AgentServiceConnectProxyConfig{DestinationServiceName: "api", LocalServicePort: 8080}})
	if err != nil {
		t.Fatal(err)
	}
	var insts []*structs.MeshInstance
	var iidx uint64
	for len(insts) == 0 && time.Now().Before(deadline) {
		if insts, iidx, err = m.MeshInstances(ctx, "default", "api", iidx); err != nil {
			t.Fatal(err)
		}
	}
	if len(insts) != 1 || insts[0].Port != 21001 || insts[0].JobVersion != 4 || insts[0].SPIFFEID != id {
		t.Fatalf("instances %+v, want the proxy on 21001 at job version 4 named %s", insts, id)
	}
}
