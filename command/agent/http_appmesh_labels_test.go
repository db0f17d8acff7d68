package agent

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/appmesh/appmesh/internal/testutil"
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

	// POST /appmesh/labels replaces them all.
	c.want(http.StatusOK, "PUT", "/appmesh/label/old?value=1", "")
	c.want(http.StatusOK, "POST", "/appmesh/labels", `{"os":"linux","arch":"x86_64"}`)
	if m := serverNodeMeta(t, a); m["os"] != "linux" || m["arch"] != "x86_64" || m["old"] != "" {
		t.Errorf("servers' node meta after POST /appmesh/labels: %v", m)
	}
	c.want(http.StatusOK, "POST", "/appmesh/labels", `{}`)
	labels = nil // decoding into a map merges
	decodeJSON(t, c.want(http.StatusOK, "GET", "/appmesh/labels", "").body, &labels)
	if _, ok := labels["zone"]; ok {
		t.Errorf("GET labels after DELETE: %v", labels)
	}
}

// TestAppMeshLabelsKeptAcrossRestart: labels changed through the API
// outlive the agent, over its configured meta: a set label keeps its value
// and a deleted configured one stays deleted.
func TestAppMeshLabelsKeptAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	mut := func(c *Config) {
		c.DataDir = dir
		c.Client.Meta = map[string]string{"zone": "from-config", "rack": "r9"}
	}
	a1, _ := startTestAgentWith(t, "am-keep", mut)
	c := amClient{t: t, base: "http://" + a1.HTTPAddr()}
	c.want(http.StatusOK, "PUT", "/appmesh/label/zone?value=from-api", "")
	c.want(http.StatusOK, "DELETE", "/appmesh/label/rack", "")
	if err := a1.Shutdown(); err != nil {
		t.Fatal(err)
	}

	a2, _ := startTestAgentWith(t, "am-keep", mut)
	c.base = "http://" + a2.HTTPAddr()
	var labels map[string]string
	decodeJSON(t, c.want(http.StatusOK, "GET", "/appmesh/labels", "").body, &labels)
	if labels["zone"] != "from-api" || labels["rack"] != "" {
		t.Errorf("labels after a restart: %v, want zone=from-api and no rack", labels)
	}
	testutil.WaitForState(t, "the servers see the kept labels", func() (bool, string) {
		var out structs.SingleNodeResponse
		err := a2.RPC(structs.NodeGetNodeRPC, &structs.NodeSpecificRequest{NodeID: a2.Client().NodeID()}, &out)
		if err != nil || out.Node == nil {
			return false, fmt.Sprintf("node: %v", err)
		}
		_, rack := out.Node.Meta["rack"]
		return out.Node.Meta["zone"] == "from-api" && !rack, fmt.Sprint(out.Node.Meta)
	})
}
