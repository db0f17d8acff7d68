package agent

import (
	"net/http"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// serverNodeMeta reads this agent's node as the servers have it.
func serverNodeMeta(t *testing.T, a *Agent) map[string]string {
	t.Helper()
	var out structs.SingleNodeResponse
	if err := a.RPC(structs.NodeGetNodeRPC, &structs.NodeSpecificRequest{NodeID: a.Client().NodeID()}, &out); err != nil {
		t.Fatalf("get node: %v", err)
	}
	if out.Node == nil {
		t.Fatalf("the servers do not know node %s", a.Client().NodeID())
	}
	return out.Node.Meta
}

// TestAppMeshLabels sets and deletes App Mesh labels on a real dev agent:
// they are the node's meta, and the servers have the change when the
// request returns (so constraints on ${meta.*} see it).
func TestAppMeshLabels(t *testing.T) {
	a, _ := startTestAgent(t, "am-labels")
	c := amClient{t: t, base: "http://" + a.HTTPAddr()}
	if _, err := a.Client().UpdateNodeMeta(t.Context(), nil, nil); err != nil {
		t.Fatalf("node not registered yet: %v", err)
	}

	var labels map[string]string
	r := c.want(http.StatusOK, "PUT", "/appmesh/label/zone?value=blue", "")
	decodeJSON(t, r.body, &labels)
	if labels["zone"] != "blue" {
		t.Errorf("PUT label answered %s", r.body)
	}
	if got := serverNodeMeta(t, a)["zone"]; got != "blue" {
		t.Errorf("servers' node meta zone = %q, want blue", got)
	}
	decodeJSON(t, c.want(http.StatusOK, "GET", "/appmesh/labels", "").body, &labels)
	if labels["zone"] != "blue" {
		t.Errorf("GET labels: %v", labels)
	}
	c.want(http.StatusBadRequest, "PUT", "/appmesh/label/zone", "")
	c.want(http.StatusBadRequest, "PUT", "/appmesh/label/bad%20name?value=x", "")

	c.want(http.StatusOK, "DELETE", "/appmesh/label/zone", "")
	if _, ok := serverNodeMeta(t, a)["zone"]; ok {
		t.Errorf("servers' node meta still has zone after DELETE")
	}
	c.want(http.StatusNotFound, "DELETE", "/appmesh/label/zone", "")
	labels = nil // decoding into a map merges
	decodeJSON(t, c.want(http.StatusOK, "GET", "/appmesh/labels", "").body, &labels)
	if _, ok := labels["zone"]; ok {
		t.Errorf("GET labels after DELETE: %v", labels)
	}
}
