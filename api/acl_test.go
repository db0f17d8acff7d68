package api

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// call is one expected request of a table test: what the client method does,
// and the method, escaped path and (optionally) JSON body the agent must see.
type call struct {
	name   string
	do     func(c *Client) error
	method string
	path   string
	body   map[string]any // keys that must be in the body with these values
}

func checkCalls(t *testing.T, c *Client, last *seen, calls []call) {
	t.Helper()
	for _, tc := range calls {
		if err := tc.do(c); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if last.method != tc.method || last.escapedPath != tc.path {
			t.Errorf("%s: request %s %s, want %s %s", tc.name, last.method, last.escapedPath, tc.method, tc.path)
		}
		if last.token != "s3cret" {
			t.Errorf("%s: token header %q", tc.name, last.token)
		}
		if tc.body == nil {
			if len(last.body) != 0 {
				t.Errorf("%s: unexpected body %s", tc.name, last.body)
			}
			continue
		}
		var got map[string]any
		if err := json.Unmarshal(last.body, &got); err != nil {
			t.Errorf("%s: body %q is not a JSON object: %v", tc.name, last.body, err)
			continue
		}
		for k, want := range tc.body {
			gb, _ := json.Marshal(got[k])
			wb, _ := json.Marshal(want)
			if string(gb) != string(wb) {
				t.Errorf("%s: body[%q] = %s, want %s (body %s)", tc.name, k, gb, wb, last.body)
			}
		}
	}
}

// aclAgent answers every ACL and namespace route with a plausible object.
func aclAgent(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodDelete:
		reply(w, "9", map[string]any{})
	case p == "/v1/acl/bootstrap", strings.HasPrefix(p, "/v1/acl/token/"), p == "/v1/acl/token":
		reply(w, "8", &structs.ACLToken{AccessorID: "acc-1", SecretID: "sec-1", Type: structs.ACLTokenTypeManagement})
	case p == "/v1/acl/tokens":
		reply(w, "8", []*structs.ACLToken{{AccessorID: "acc-1", Type: "client"}})
	case p == "/v1/acl/policies":
		reply(w, "8", []*structs.ACLPolicy{{Name: "readonly"}})
	case strings.HasPrefix(p, "/v1/acl/policy/"):
		reply(w, "8", &structs.ACLPolicy{Name: strings.TrimPrefix(p, "/v1/acl/policy/"), Rules: "x"})
	case p == "/v1/acl/roles":
		reply(w, "8", []*structs.ACLRole{{ID: "r1", Name: "ops"}})
	case strings.HasPrefix(p, "/v1/acl/role"):
		reply(w, "8", &structs.ACLRole{ID: "r1", Name: "ops"})
	case p == "/v1/namespaces":
		reply(w, "8", []*structs.Namespace{{Name: "default"}, {Name: "prod"}})
	case strings.HasPrefix(p, "/v1/namespace/"):
		reply(w, "8", &structs.Namespace{Name: strings.TrimPrefix(p, "/v1/namespace/")})
	default:
		http.NotFound(w, r)
	}
}

func TestACLRequests(t *testing.T) {
	c, last := newFake(t, aclAgent)
	two := func(_ any, _ any, err error) error { return err }
	one := func(_ any, err error) error { return err }
	checkCalls(t, c, last, []call{
		{"bootstrap", func(c *Client) error { return two(c.ACL().Bootstrap(0)) }, "PUT", "/v1/acl/bootstrap", nil},
		{"bootstrap reset", func(c *Client) error { return two(c.ACL().Bootstrap(42)) }, "PUT", "/v1/acl/bootstrap",
			map[string]any{"reset_index": 42}},

		{"policy list", func(c *Client) error { return two(c.ACLPolicies().List(nil)) }, "GET", "/v1/acl/policies", nil},
		{"policy info", func(c *Client) error { return two(c.ACLPolicies().Info("read only", nil)) }, "GET", "/v1/acl/policy/read%20only", nil},
		{"policy upsert", func(c *Client) error {
			return two(c.ACLPolicies().Upsert(&structs.ACLPolicy{Name: "ro", Description: "d", Rules: `namespace "*" { policy = "read" }`}))
		}, "PUT", "/v1/acl/policy/ro", map[string]any{"name": "ro", "description": "d", "rules": `namespace "*" { policy = "read" }`}},
		{"policy delete", func(c *Client) error { return one(c.ACLPolicies().Delete("ro")) }, "DELETE", "/v1/acl/policy/ro", nil},

		{"token list", func(c *Client) error { return two(c.ACLTokens().List(nil)) }, "GET", "/v1/acl/tokens", nil},
		{"token info", func(c *Client) error { return two(c.ACLTokens().Info("acc-1", nil)) }, "GET", "/v1/acl/token/acc-1", nil},
		{"token self", func(c *Client) error { return two(c.ACLTokens().Self(nil)) }, "GET", "/v1/acl/token/self", nil},
		{"token create", func(c *Client) error {
			return two(c.ACLTokens().Create(&structs.ACLToken{Name: "ci", Type: "client", Policies: []string{"ro"},
				Roles: []string{"ops"}, ExpirationTTL: structs.Duration(90 * time.Minute)}))
		}, "PUT", "/v1/acl/token", map[string]any{"name": "ci", "type": "client", "policies": []string{"ro"},
			"roles": []string{"ops"}, "expiration_ttl": "1h30m0s"}},
		{"token update", func(c *Client) error {
			return two(c.ACLTokens().Update(&structs.ACLToken{AccessorID: "acc-1", Name: "ci2", Type: "client", Policies: []string{"rw"}}))
		}, "PUT", "/v1/acl/token/acc-1", map[string]any{"accessor_id": "acc-1", "name": "ci2", "policies": []string{"rw"}}},
		{"token delete", func(c *Client) error { return one(c.ACLTokens().Delete("acc-1")) }, "DELETE", "/v1/acl/token/acc-1", nil},

		{"role list", func(c *Client) error { return two(c.ACLRoles().List(nil)) }, "GET", "/v1/acl/roles", nil},
		{"role info", func(c *Client) error { return two(c.ACLRoles().Info("r1", nil)) }, "GET", "/v1/acl/role/r1", nil},
		{"role by name", func(c *Client) error { return two(c.ACLRoles().InfoByName("ops", nil)) }, "GET", "/v1/acl/role/name/ops", nil},
		{"role create", func(c *Client) error {
			return two(c.ACLRoles().Create(&structs.ACLRole{Name: "ops", Description: "d", Policies: []string{"ro"}}))
		}, "PUT", "/v1/acl/role", map[string]any{"name": "ops", "description": "d", "policies": []string{"ro"}}},
		{"role update", func(c *Client) error {
			return two(c.ACLRoles().Update(&structs.ACLRole{ID: "r1", Name: "ops", Policies: []string{"rw"}}))
		}, "PUT", "/v1/acl/role/r1", map[string]any{"id": "r1", "policies": []string{"rw"}}},
		{"role delete", func(c *Client) error { return one(c.ACLRoles().Delete("r1")) }, "DELETE", "/v1/acl/role/r1", nil},

		{"namespace list", func(c *Client) error { return two(c.Namespaces().List(nil)) }, "GET", "/v1/namespaces", nil},
		{"namespace info", func(c *Client) error { return two(c.Namespaces().Info("prod", nil)) }, "GET", "/v1/namespace/prod", nil},
		{"namespace upsert", func(c *Client) error {
			return two(c.Namespaces().Upsert(&structs.Namespace{Name: "prod", Description: "d", Meta: map[string]string{"team": "a"}}))
		}, "PUT", "/v1/namespace/prod", map[string]any{"name": "prod", "description": "d", "meta": map[string]string{"team": "a"}}},
		{"namespace delete", func(c *Client) error { return one(c.Namespaces().Delete("prod")) }, "DELETE", "/v1/namespace/prod", nil},
	})
}

func TestACLAnswersDecoded(t *testing.T) {
	c, _ := newFake(t, aclAgent)
	tok, wm, err := c.ACL().Bootstrap(0)
	if err != nil || tok.AccessorID != "acc-1" || tok.SecretID != "sec-1" || wm.LastIndex != 8 {
		t.Fatalf("bootstrap = %+v %+v %v", tok, wm, err)
	}
	ns, qm, err := c.Namespaces().List(nil)
	if err != nil || len(ns) != 2 || ns[1].Name != "prod" || qm.LastIndex != 8 {
		t.Fatalf("namespaces = %v %+v %v", ns, qm, err)
	}
	role, _, err := c.ACLRoles().InfoByName("ops", nil)
	if err != nil || role.ID != "r1" {
		t.Fatalf("role = %+v %v", role, err)
	}
}

func TestACLArgumentsCheckedBeforeSending(t *testing.T) {
	c, last := newFake(t, aclAgent)
	for name, err := range map[string]error{
		"policy without name": func() error { _, _, err := c.ACLPolicies().Upsert(&structs.ACLPolicy{Rules: "x"}); return err }(),
		"token with accessor": func() error { _, _, err := c.ACLTokens().Create(&structs.ACLToken{AccessorID: "a"}); return err }(),
		"update w/o accessor": func() error { _, _, err := c.ACLTokens().Update(&structs.ACLToken{Name: "x"}); return err }(),
		"role with ID":        func() error { _, _, err := c.ACLRoles().Create(&structs.ACLRole{ID: "r", Name: "x"}); return err }(),
		"empty namespace":     func() error { _, err := c.Namespaces().Delete(""); return err }(),
		"empty token info":    func() error { _, _, err := c.ACLTokens().Info("", nil); return err }(),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if last.method != "" {
		t.Errorf("a request was sent: %s %s", last.method, last.escapedPath)
	}
}

func TestPermissionDenied(t *testing.T) {
	c, _ := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"error": "Permission denied: submit-job in namespace \"prod\""}`)
	})
	_, _, err := c.ACLTokens().Self(nil)
	if !IsPermissionDenied(err) || IsNotFound(err) || !strings.Contains(err.Error(), `submit-job in namespace "prod"`) {
		t.Fatalf("err = %v", err)
	}
}
