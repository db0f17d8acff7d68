package agent

import (
	"net/http"
	"strings"
	"testing"
)

// TestMeshPolicyBodies: the write routes of intentions and splits decode
// strictly (an unknown field is a 400 naming it), refuse what does not
// validate with every problem, and answer the check route.
func TestMeshPolicyBodies(t *testing.T) {
	a, mgmt := startACLAgent(t)
	c := doorClient{t: t, base: "http://" + a.HTTPAddr()}
	code, body := c.do("POST", "/v1/mesh/intentions", mgmt, `{"source_name":"web","destination_name":"api","action":"deny","colour":"red"}`)
	if code != http.StatusBadRequest || !strings.Contains(body, "colour") {
		t.Fatalf("intention with an unknown field: %d %s", code, body)
	}
	code, body = c.do("POST", "/v1/mesh/splits", mgmt, `{"service":"api","subsets":[{"name":"v1","weight":50}],"routes":[{"subset":"v9"}]}`)
	if code != http.StatusBadRequest || !strings.Contains(body, "add up to 50") || !strings.Contains(body, `subset \"v9\" is not defined`) {
		t.Fatalf("split that does not validate: %d %s", code, body)
	}
	c.must("POST", "/v1/mesh/intentions", mgmt, `{"source_name":"web","destination_name":"api","action":"deny"}`)
	code, body = c.do("GET", "/v1/mesh/intentions/check?source=web&destination=default/api", mgmt, "")
	if code != http.StatusOK || !strings.Contains(body, `"allowed":false`) || !strings.Contains(body, "denied by intention") {
		t.Fatalf("check: %d %s", code, body)
	}
	code, body = c.do("GET", "/v1/mesh/intentions", mgmt, "")
	if code != http.StatusOK || !strings.Contains(body, `"default_allow":{"default":false}`) {
		t.Fatalf("list (ACLs on, no mesh_default_action: deny): %d %s", code, body)
	}
	big := `{"source_name":"web","destination_name":"api","action":"deny","description":"` + strings.Repeat("x", 5<<20) + `"}`
	if code, body = c.do("POST", "/v1/mesh/intentions", mgmt, big); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("5 MiB body: %d %.200s", code, body)
	}
}
