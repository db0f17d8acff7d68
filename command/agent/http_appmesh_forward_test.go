package agent

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// TestAppMeshForward sends App Mesh requests with X-Target-Host to one
// agent of a two-node cluster (a dev agent and a client-only agent of
// it), as App Mesh's SDKs do after forward_to: the named node's agent
// answers them, the agent's own node answers locally, an unknown node is
// a 404.
func TestAppMeshForward(t *testing.T) {
	a1, _ := startTestAgent(t, "fwd-a")
	rpcAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(a1.config.Ports.RPC))
	a2, _ := startTestAgent(t, "fwd-b", rpcAddr)
	c1 := amClient{t: t, base: "http://" + a1.HTTPAddr()}
	c2 := amClient{t: t, base: "http://" + a2.HTTPAddr()}

	// Both nodes must be known to the servers before one can be named.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var nodes []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		}
		r := c1.do("GET", "/v1/nodes", "")
		_ = json.Unmarshal([]byte(r.body), &nodes)
		ready := 0
		for _, n := range nodes {
			if n.Status == "ready" {
				ready++
			}
		}
		if ready == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("two ready nodes never appeared: %s", r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A label set through fwd-a for fwd-b lands on fwd-b's node only.
	r := c1.want(http.StatusOK, "PUT", "/appmesh/label/zone?value=far", "", "X-Target-Host", "fwd-b:6060")
	if !strings.Contains(r.body, `"zone":"far"`) {
		t.Errorf("forwarded label set answered %s", r.body)
	}
	if r := c2.want(http.StatusOK, "GET", "/appmesh/labels", ""); !strings.Contains(r.body, `"zone":"far"`) {
		t.Errorf("fwd-b's labels %s lack the forwarded one", r.body)
	}
	if r := c1.want(http.StatusOK, "GET", "/appmesh/labels", ""); strings.Contains(r.body, `"zone"`) {
		t.Errorf("fwd-a's labels %s got the label meant for fwd-b", r.body)
	}
	// The header names this agent's own node: answered here, no loop.
	if r := c1.want(http.StatusOK, "GET", "/appmesh/labels", "", "X-Target-Host", "fwd-a:6060"); strings.Contains(r.body, `"zone"`) {
		t.Errorf("fwd-a named itself and answered %s", r.body)
	}

	// A sync run forwarded with its body and query: the answer's headers
	// come back as the target sent them.
	r = c1.want(http.StatusOK, "POST", "/appmesh/app/syncrun?timeout=30", `{"command":"echo forwarded","shell":true}`,
		"X-Target-Host", "fwd-b")
	if r.body != "forwarded\n" || r.header.Get("X-Exit-Code") != "0" || r.header.Get("X-Output-Position") != "10" {
		t.Errorf("forwarded syncrun: %q exit %q position %q", r.body, r.header.Get("X-Exit-Code"), r.header.Get("X-Output-Position"))
	}

	r = c1.want(http.StatusNotFound, "GET", "/appmesh/labels", "", "X-Target-Host", "nowhere:6060")
	var e struct{ Message string }
	if err := json.Unmarshal([]byte(r.body), &e); err != nil || !strings.Contains(e.Message, "X-Target-Host") {
		t.Errorf("unknown node: %s", r.body)
	}
}

// TestAppMeshForwardACL: with ACLs on, the forwarded request carries the
// caller's token to the target agent, which checks it again; without a
// token the forwarding agent refuses before any lookup.
func TestAppMeshForwardACL(t *testing.T) {
	acl := func(c *Config) { c.ACL.Enabled = true }
	a1, _ := startTestAgentWith(t, "fwd-acl-a", acl)
	var boot structs.ACLTokenResponse
	if err := a1.RPC(structs.ACLBootstrapRPC, &structs.ACLBootstrapRequest{}, &boot); err != nil || boot.Token == nil {
		t.Fatalf("bootstrap: %v", err)
	}
	rpcAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(a1.config.Ports.RPC))
	a2, _ := startTestAgentWith(t, "fwd-acl-b", acl, rpcAddr)
	mgmt := amClient{t: t, base: "http://" + a1.HTTPAddr(), auth: "Bearer " + boot.Token.SecretID}
	anon := amClient{t: t, base: "http://" + a1.HTTPAddr()}
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := mgmt.do("PUT", "/appmesh/label/zone?value=acl", "", "X-Target-Host", "fwd-acl-b:6060")
		if r.code == http.StatusOK {
			break
		}
		// 404 until fwd-acl-b has registered its node.
		if r.code != http.StatusNotFound || time.Now().After(deadline) {
			t.Fatalf("forwarded label set: %d %s", r.code, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	direct := amClient{t: t, base: "http://" + a2.HTTPAddr(), auth: mgmt.auth}
	if r := direct.want(http.StatusOK, "GET", "/appmesh/labels", ""); !strings.Contains(r.body, `"zone":"acl"`) {
		t.Errorf("fwd-acl-b's labels %s lack the forwarded one", r.body)
	}
	anon.want(http.StatusForbidden, "PUT", "/appmesh/label/zone?value=x", "", "X-Target-Host", "fwd-acl-b:6060")
}
