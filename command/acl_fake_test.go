package command

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
	"github.com/mitchellh/cli"
)

// fakeACLAgent plays the agent's ACL and namespace routes (the HTTP
// contract the CLI is written against) from maps, and records every
// request, so the commands' requests and outputs can be checked until the
// real handlers are merged.
type fakeACLAgent struct {
	mu         sync.Mutex
	index      uint64
	policies   map[string]*structs.ACLPolicy
	tokens     map[string]*structs.ACLToken // by accessor ID
	roles      map[string]*structs.ACLRole  // by ID
	namespaces map[string]*structs.Namespace
	requests   []fakeRequest
	// deny, when set, answers every request 403 with this message.
	deny string
}

type fakeRequest struct {
	Method, Path, Namespace, Token string
	Body                           []byte
}

func newFakeACLAgent(t *testing.T) (*fakeACLAgent, *cli.MockUi) {
	t.Helper()
	f := &fakeACLAgent{
		policies: map[string]*structs.ACLPolicy{}, tokens: map[string]*structs.ACLToken{},
		roles:      map[string]*structs.ACLRole{},
		namespaces: map[string]*structs.Namespace{structs.DefaultNamespace: {Name: structs.DefaultNamespace}},
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	t.Setenv(api.EnvAddress, srv.URL)
	t.Setenv(api.EnvToken, "")
	t.Setenv(api.EnvNamespace, "")
	return f, cli.NewMockUi()
}

// last returns the last request the agent saw.
func (f *fakeACLAgent) last(t *testing.T) fakeRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		t.Fatal("the agent saw no request")
	}
	return f.requests[len(f.requests)-1]
}

func (f *fakeACLAgent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, fakeRequest{r.Method, r.URL.Path, r.URL.Query().Get("namespace"),
		r.Header.Get(api.TokenHeader), body})
	if f.deny != "" {
		httpError(w, http.StatusForbidden, f.deny)
		return
	}
	out, code, err := f.route(r.Method, r.URL.Path, r.Header.Get(api.TokenHeader), body)
	if err != nil {
		httpError(w, code, err.Error())
		return
	}
	w.Header().Set(api.IndexHeader, fmt.Sprint(f.index))
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func notFound(what, name string) (any, int, error) {
	return nil, http.StatusNotFound, fmt.Errorf("%s %q not found", what, name)
}

// route answers one request; called with mu held.
func (f *fakeACLAgent) route(method, path, secret string, body []byte) (any, int, error) {
	decode := func(v any) error { return json.Unmarshal(body, v) }
	rest, _ := strings.CutPrefix(path, "/v1/")
	seg := strings.Split(rest, "/")
	key := method + " " + seg[0]
	if len(seg) > 1 {
		key += "/" + seg[1]
	}
	name := ""
	if len(seg) > 2 {
		name = strings.Join(seg[2:], "/")
	}
	switch key {
	case "PUT acl/bootstrap":
		for _, t := range f.tokens {
			if t.Type == structs.ACLTokenTypeManagement {
				return nil, http.StatusBadRequest, fmt.Errorf("ACL bootstrap already done")
			}
		}
		return f.newToken(&structs.ACLToken{Name: "Bootstrap Token", Type: structs.ACLTokenTypeManagement}), 200, nil
	case "GET acl/policies":
		return values(f.policies), 200, nil
	case "GET acl/policy":
		if p, ok := f.policies[name]; ok {
			return p, 200, nil
		}
		return notFound("policy", name)
	case "PUT acl/policy":
		var p structs.ACLPolicy
		if err := decode(&p); err != nil || p.Name != name {
			return nil, http.StatusBadRequest, fmt.Errorf("bad policy body %s", body)
		}
		f.index++
		p.ModifyIndex = f.index
		f.policies[name] = &p
		return &p, 200, nil
	case "DELETE acl/policy":
		if _, ok := f.policies[name]; !ok {
			return notFound("policy", name)
		}
		delete(f.policies, name)
		return struct{}{}, 200, nil
	case "GET acl/tokens":
		var out []*structs.ACLToken
		for _, t := range values(f.tokens) {
			c := *t
			c.SecretID = ""
			out = append(out, &c)
		}
		return out, 200, nil
	case "PUT acl/token":
		if name != "" {
			t, ok := f.tokens[name]
			if !ok {
				return notFound("token", name)
			}
			var in structs.ACLToken
			if err := decode(&in); err != nil {
				return nil, http.StatusBadRequest, err
			}
			t.Name, t.Policies, t.Roles = in.Name, in.Policies, in.Roles
			c := *t
			c.SecretID = ""
			return &c, 200, nil
		}
		var in structs.ACLToken
		if err := decode(&in); err != nil {
			return nil, http.StatusBadRequest, err
		}
		return f.newToken(&in), 200, nil
	case "GET acl/token":
		var t *structs.ACLToken
		if name == "self" {
			for _, x := range f.tokens {
				if x.SecretID == secret {
					t = x
				}
			}
		} else {
			t = f.tokens[name]
		}
		if t == nil {
			return notFound("token", name)
		}
		c := *t
		c.SecretID = ""
		return &c, 200, nil
	case "DELETE acl/token":
		if _, ok := f.tokens[name]; !ok {
			return notFound("token", name)
		}
		delete(f.tokens, name)
		return struct{}{}, 200, nil
	case "GET acl/roles":
		return values(f.roles), 200, nil
	case "PUT acl/role":
		var in structs.ACLRole
		if err := decode(&in); err != nil {
			return nil, http.StatusBadRequest, err
		}
		if name == "" {
			in.ID = fmt.Sprintf("role-%d", len(f.roles)+1)
		} else if _, ok := f.roles[name]; !ok || in.ID != name {
			return notFound("role", name)
		}
		f.index++
		in.ModifyIndex = f.index
		f.roles[in.ID] = &in
		return &in, 200, nil
	case "GET acl/role":
		if n, ok := strings.CutPrefix(name, "name/"); ok {
			for _, r := range f.roles {
				if r.Name == n {
					return r, 200, nil
				}
			}
			return notFound("role named", n)
		}
		if r, ok := f.roles[name]; ok {
			return r, 200, nil
		}
		return notFound("role", name)
	case "DELETE acl/role":
		if _, ok := f.roles[name]; !ok {
			return notFound("role", name)
		}
		delete(f.roles, name)
		return struct{}{}, 200, nil
	case "GET namespaces":
		return values(f.namespaces), 200, nil
	}
	if len(seg) == 2 && seg[0] == "namespace" {
		name = seg[1]
		switch method {
		case http.MethodGet:
			if ns, ok := f.namespaces[name]; ok {
				return ns, 200, nil
			}
			return notFound("namespace", name)
		case http.MethodPut:
			var ns structs.Namespace
			if err := decode(&ns); err != nil || ns.Name != name {
				return nil, http.StatusBadRequest, fmt.Errorf("bad namespace body %s", body)
			}
			f.index++
			ns.ModifyIndex = f.index
			f.namespaces[name] = &ns
			return &ns, 200, nil
		case http.MethodDelete:
			if _, ok := f.namespaces[name]; !ok {
				return notFound("namespace", name)
			}
			delete(f.namespaces, name)
			return struct{}{}, 200, nil
		}
	}
	return nil, http.StatusNotFound, fmt.Errorf("no route %s %s", method, path)
}

func (f *fakeACLAgent) newToken(in *structs.ACLToken) *structs.ACLToken {
	f.index++
	n := len(f.tokens) + 1
	t := &structs.ACLToken{
		AccessorID: fmt.Sprintf("accessor-%d", n), SecretID: fmt.Sprintf("secret-%d", n),
		Name: in.Name, Type: in.Type, Policies: in.Policies, Roles: in.Roles,
		CreateTime: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), CreateIndex: f.index, ModifyIndex: f.index,
	}
	if in.ExpirationTTL > 0 {
		exp := t.CreateTime.Add(in.ExpirationTTL.Std())
		t.ExpirationTime = &exp
	}
	f.tokens[t.AccessorID] = t
	return t
}

func values[V any](m map[string]V) []V {
	out := make([]V, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, m[k])
	}
	return out
}
