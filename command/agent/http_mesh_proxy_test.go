package agent

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// TestMeshProxyConfigDoor: with ACLs on, a proxy's config opens to the
// proxy task's own workload identity and to a management token; no token,
// a token of another allocation's proxy, the identity of another task of
// the same allocation and a namespace token are refused. (The client has
// no mesh CA in this test, so a request past the door is answered 501.)
func TestMeshProxyConfigDoor(t *testing.T) {
	a, mgmt := startACLAgent(t)
	c := doorClient{t: t, base: "http://" + a.HTTPAddr()}
	c.must("PUT", "/v1/namespace/prod", mgmt, "")
	job := func(id, upstream string) string {
		ups := ""
		if upstream != "" {
			ups = `,"upstreams":[{"destination_name":"` + upstream + `","local_bind_port":19090}]`
		}
		return `{"job":{"id":"` + id + `","namespace":"prod","type":"service","groups":[{"name":"g","count":1,
		  "network":{"ports":[{"label":"http"}]},
		  "services":[{"name":"` + id + `","port":"http","provider":"appmesh","connect":{"sidecar_service":{"proxy":{"config":{"protocol":"http"}` + ups + `}}}}],
		  "tasks":[{"name":"main","driver":"raw_exec","config":{"command":"/bin/sh","args":["-c","exec sleep 600"]},
		    "identities":[{"file":true}]}]}]}}`
	}
	c.must("PUT", "/v1/jobs", mgmt, job("web", "api"))
	c.must("PUT", "/v1/jobs", mgmt, job("api", ""))
	web := waitRunningAlloc(t, c, mgmt, "web")
	api := waitRunningAlloc(t, c, mgmt, "api")
	cl := a.Client()
	sign := func(alloc, task string) string {
		var out structs.SignIdentitiesResponse
		err := a.RPC(structs.NodeSignIdentitiesRPC, &structs.SignIdentitiesRequest{NodeID: cl.NodeID(), SecretID: cl.SecretID(),
			AllocID: alloc, Task: task}, &out)
		if err != nil || len(out.Identities) == 0 {
			t.Fatalf("sign %s of %s: %v", task, alloc, err)
		}
		return out.Identities[0].JWT
	}
	var other struct {
		SecretID string `json:"secret_id"`
	}
	c.must("PUT", "/v1/acl/policy/prod-write", mgmt, `{"rules":"namespace \"prod\" {\n policy = \"write\"\n}\n"}`)
	decodeJSON(t, c.must("PUT", "/v1/acl/token", mgmt, `{"name":"ns","policies":["prod-write"]}`), &other)

	path := structs.MeshProxyConfigPath + "?alloc_id=" + web + "&service=web&wait=1s"
	for who, tc := range map[string]struct {
		token string
		open  bool
	}{
		"own proxy identity":          {sign(web, "connect-proxy-web"), true},
		"management token":            {mgmt, true},
		"no token":                    {"", false},
		"other allocation's proxy":    {sign(api, "connect-proxy-api"), false},
		"main task of the same alloc": {sign(web, "main"), false},
		"namespace write token":       {other.SecretID, false},
	} {
		code, body := c.do("GET", path, tc.token, "")
		switch {
		case tc.open && (code == http.StatusForbidden || code == http.StatusUnauthorized):
			t.Errorf("%s: refused: %d %s", who, code, body)
		case tc.open && (code != http.StatusOK || !strings.Contains(body, `"spiffe_id":"spiffe://`)):
			// The body holds a private key: not printed.
			t.Errorf("%s: got %d (%d bytes), want 200 with the proxy's config", who, code, len(body))
		case !tc.open && (code != http.StatusForbidden || !strings.Contains(body, "Permission denied")):
			t.Errorf("%s: got %d %s, want 403 Permission denied", who, code, body)
		}
	}
}

// Without ACLs only callers on this host pass: loopback, or a caller
// whose address is the one it called.
func TestFromThisHost(t *testing.T) {
	for _, tc := range []struct {
		remote, local string
		want          bool
	}{
		{"127.0.0.1:5000", "127.0.0.1:4646", true},
		{"[::1]:5000", "[::1]:4646", true},
		{"10.0.0.5:5000", "10.0.0.5:4646", true},
		{"10.0.0.6:5000", "10.0.0.5:4646", false},
		{"192.168.1.2:5000", "0.0.0.0:4646", false},
	} {
		r := httptest.NewRequest("GET", structs.MeshProxyConfigPath, nil)
		r.RemoteAddr = tc.remote
		local, _ := net.ResolveTCPAddr("tcp", tc.local)
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, local))
		if got := fromThisHost(r); got != tc.want {
			t.Errorf("remote %s, local %s: %v, want %v", tc.remote, tc.local, got, tc.want)
		}
	}
}
