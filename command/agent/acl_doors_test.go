package agent

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// startACLAgent starts a real dev agent with ACLs on and returns it with a
// management token.
func startACLAgent(t *testing.T) (*Agent, string) {
	t.Helper()
	cfg := DevConfig()
	cfg.Name = "acl-doors"
	return startACLAgentWith(t, cfg)
}

// startACLAgentWith starts cfg (a dev config a test has adjusted) with ACLs
// on, on free ports, and bootstraps it: the agent and its management token.
func startACLAgentWith(t *testing.T, cfg *Config) (*Agent, string) {
	t.Helper()
	cfg.LogLevel = "ERROR"
	cfg.ACL.Enabled = true
	cfg.Ports.HTTP, cfg.Ports.RPC, cfg.Ports.Gossip = freeTCPPort(t), freeTCPPort(t), freeTCPPort(t)
	logger := hclog.New(&hclog.LoggerOptions{Name: "acl", Level: hclog.Error, Output: os.Stderr})
	a, err := NewAgent(cfg, logger)
	if err != nil {
		t.Fatalf("start agent: %v", err)
	}
	t.Cleanup(func() { _ = a.Shutdown() })
	var boot structs.ACLTokenResponse
	if err := a.RPC(structs.ACLBootstrapRPC, &structs.ACLBootstrapRequest{}, &boot); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	if boot.Token == nil || boot.Token.SecretID == "" {
		t.Fatalf("bootstrap gave no secret: %+v", boot.Token)
	}
	return a, boot.Token.SecretID
}

// doorClient sends raw HTTP requests to an agent with a chosen token.
type doorClient struct {
	t    *testing.T
	base string
}

func (c doorClient) do(method, path, token, body string) (int, string) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Appmesh-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, string(b)
}

func (c doorClient) must(method, path, token, body string) string {
	c.t.Helper()
	code, out := c.do(method, path, token, body)
	if code != http.StatusOK {
		c.t.Fatalf("%s %s: %d %s", method, path, code, out)
	}
	return out
}

// doorSample is one concrete request for a route pattern.
type doorSample struct {
	method, path, body string
}

// filteredLists answer a token without rights in prod with the part it may
// see (its own namespace, policy, roles) instead of a 403: "lists are
// filtered, not refused". They must not show anything of prod.
var filteredLists = map[string]bool{"/v1/acl/policies": true, "/v1/acl/roles": true, "/v1/namespaces": true,
	"/v1/jobs?namespace=*": true, "/v1/services?namespace=*": true,
	"/v1/mesh/intentions?namespace=*": true, "/v1/mesh/splits?namespace=*": true,
	"/appmesh/roles": true, "/appmesh/permissions": true, "/appmesh/user/groups": true, "/appmesh/user/permissions": true}

// anyTokenDoors answer any valid token: what they show is public to the
// cluster's members (the mesh CA's root certificates, which every proxy
// needs), but not to anonymous callers.
var anyTokenDoors = map[string]bool{"/v1/mesh/ca/roots": true}

// TestHTTPDoors walks the router's own route table: every registered
// method of every route must be refused (403, nothing written) without a
// token, with an unknown token and with a token of another namespace, and
// must get past the door with a management token. A route added without a
// sample (newDoorFixture, acl_doors_fixture_test.go) fails the test, so
// no door goes untried.
func TestHTTPDoors(t *testing.T) {
	fx := newDoorFixture(t)
	a, mgmt, c, samples := fx.a, fx.mgmt, fx.c, fx.samples

	// Every registered (method, route) has a sample, and every sample a route.
	covered := map[string]bool{}
	for _, d := range a.http.Doors() {
		found := false
		for _, s := range samples[d.Path] {
			if s.method == d.Method {
				found = true
				covered[d.Method+" "+d.Path] = true
			}
		}
		if !found && d.Rule.kind != rulePublic && d.Rule.kind != ruleStatic { // static: TestUIDoors
			t.Errorf("route %s %s (rule %s) has no sample in newDoorFixture (acl_doors_fixture_test.go): add one so its door is tried", d.Method, d.Path, d.Rule.kind)
		}
	}
	tokens := map[string]string{"no token": "", "unknown token": structs.GenerateID(), "other namespace's token": fx.otherSecret}
	tried := 0
	st := a.Server().State()
	for _, path := range sortedKeys(samples) {
		for _, s := range samples[path] {
			if !covered[s.method+" "+path] {
				t.Errorf("sample %s %s matches no registered route", s.method, s.path)
				continue
			}
			for _, who := range sortedKeys(tokens) {
				before := writeIndexes(st)
				code, body := c.do(s.method, s.path, tokens[who], s.body)
				tried++
				if anyTokenDoors[s.path] && who == "other namespace's token" {
					if code != http.StatusOK {
						t.Errorf("%s %s with %s: got %d %s, want 200 (any valid token may read it)", s.method, s.path, who, code, body)
					}
					continue
				}
				if filteredLists[s.path] && who == "other namespace's token" {
					if code != http.StatusOK || strings.Contains(body, "prod") || strings.Contains(body, `"ops"`) {
						t.Errorf("%s %s with %s: got %d %s, want 200 with nothing of prod", s.method, s.path, who, code, body)
					}
					continue
				}
				if code != http.StatusForbidden || !strings.Contains(body, "Permission denied") {
					t.Errorf("%s %s with %s: got %d %s, want 403 Permission denied", s.method, s.path, who, code, body)
				}
				if after := writeIndexes(st); after != before {
					t.Errorf("%s %s with %s was refused but the state changed (%s -> %s)", s.method, s.path, who, before, after)
				}
			}
		}
	}
	// With the management token every door opens (the request itself may
	// still be refused for what it asks, but not by the door). Destructive
	// samples run last.
	for _, path := range sortedKeys(samples) {
		for _, s := range samples[path] {
			if s.method == "DELETE" {
				continue
			}
			code, body := c.do(s.method, s.path, mgmt, s.body)
			tried++
			if code == http.StatusForbidden || code == http.StatusUnauthorized {
				t.Errorf("%s %s with the management token: %d %s", s.method, s.path, code, body)
			}
		}
	}
	t.Logf("tried %d requests on %d routes (%d route methods)", tried, len(samples), len(a.http.Doors()))
}

// writeIndexes fingerprints what a request could write: job versions, the ACL
// tables, namespaces and the allocations' desired states. (Allocations'
// client updates and evaluations change on their own while tasks run.)
func writeIndexes(st *state.StateStore) string {
	var b strings.Builder
	jobs, _ := st.Jobs(nil)
	for _, j := range jobs {
		fmt.Fprintf(&b, "%s/%s:v%d:stop=%v ", j.Namespace, j.ID, j.Version, j.Stop)
	}
	for _, tbl := range []string{state.TableACLPolicies, state.TableACLTokens, state.TableACLRoles, state.TableNamespaces, state.TableACLBootstrap,
		state.TableACLUsers, state.TableACLLoginSessions, state.TableACLSigningKeys, state.TableACLAuthMethods, state.TableACLBindingRules, state.TableServices,
		state.TableMeshIntentions, state.TableMeshSplits, state.TableMeshCARoots} {
		idx, _ := st.Index(tbl)
		fmt.Fprintf(&b, "%s=%d ", tbl, idx)
	}
	allocs, _ := st.Allocs(nil)
	for _, al := range allocs {
		fmt.Fprintf(&b, "%s:%s ", structs.ShortID(al.ID), al.DesiredStatus)
	}
	return b.String()
}

func waitRunningAlloc(t *testing.T, c doorClient, token, job string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var allocs []structs.AllocListStub
		_, body := c.do("GET", "/v1/job/"+job+"/allocations?namespace=prod", token, "")
		if decodeJSONErr(body, &allocs) == nil {
			for _, al := range allocs {
				if al.ClientStatus == "running" {
					return al.ID
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %s never ran", job)
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func decodeJSON(t *testing.T, body string, v any) {
	t.Helper()
	if err := decodeJSONErr(body, v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
}

func decodeJSONErr(body string, v any) error { return json.Unmarshal([]byte(body), v) }
