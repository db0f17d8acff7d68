package agent

import (
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// registerAuthMethodRoutes wires auth methods and binding rules; every
// route calls ACL RPCs that need a management token.
func (s *HTTPServer) registerAuthMethodRoutes() {
	get, put, post, del := http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete
	s.route("/v1/acl/auth-methods", map[string]door{get: viaRPC(s.aclAuthMethodList)})
	s.route("/v1/acl/auth-method", map[string]door{put: viaRPC(s.aclAuthMethodCreate), post: viaRPC(s.aclAuthMethodCreate)})
	s.route("/v1/acl/auth-method/{name}", map[string]door{
		get: viaRPC(s.aclAuthMethodGet), put: viaRPC(s.aclAuthMethodUpdate), post: viaRPC(s.aclAuthMethodUpdate),
		del: viaRPC(s.aclAuthMethodDelete)})
	s.route("/v1/acl/binding-rules", map[string]door{get: viaRPC(s.aclBindingRuleList)})
	s.route("/v1/acl/binding-rule", map[string]door{put: viaRPC(s.aclBindingRuleCreate), post: viaRPC(s.aclBindingRuleCreate)})
	s.route("/v1/acl/binding-rule/{id}", map[string]door{
		get: viaRPC(s.aclBindingRuleGet), put: viaRPC(s.aclBindingRuleUpdate), post: viaRPC(s.aclBindingRuleUpdate),
		del: viaRPC(s.aclBindingRuleDelete)})
}

func (s *HTTPServer) aclAuthMethodList(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.GenericRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.ACLAuthMethodListResponse
	if err := s.rpc(r, structs.ACLListAuthMethodsRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return nonNil(out.Methods), nil
}

func (s *HTTPServer) aclAuthMethodCreate(w http.ResponseWriter, r *http.Request) (any, error) {
	var m structs.ACLAuthMethod
	if err := decodeBody(w, r, &m); err != nil {
		return nil, err
	}
	return s.upsertAuthMethod(r, &m)
}

func (s *HTTPServer) aclAuthMethodUpdate(w http.ResponseWriter, r *http.Request) (any, error) {
	var m structs.ACLAuthMethod
	if err := decodeBody(w, r, &m); err != nil {
		return nil, err
	}
	name := r.PathValue("name")
	if m.Name == "" {
		m.Name = name
	}
	if m.Name != name {
		return nil, badRequest("auth method name %q in the body does not match %q in the URL", m.Name, name)
	}
	return s.upsertAuthMethod(r, &m)
}

func (s *HTTPServer) upsertAuthMethod(r *http.Request, m *structs.ACLAuthMethod) (any, error) {
	var out structs.ACLAuthMethodResponse
	if err := s.rpc(r, structs.ACLUpsertAuthMethodRPC, &structs.ACLAuthMethodUpsertRequest{Method: m}, &out); err != nil {
		return nil, err
	}
	return out.Method, nil
}

func (s *HTTPServer) aclAuthMethodGet(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.ACLSpecificRequest{Name: r.PathValue("name")}
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.ACLAuthMethodResponse
	if err := s.rpc(r, structs.ACLGetAuthMethodRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return out.Method, nil
}

func (s *HTTPServer) aclAuthMethodDelete(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.ACLNamesRequest{Names: []string{r.PathValue("name")}}
	if err := s.rpc(r, structs.ACLDeleteAuthMethodRPC, &args, &structs.GenericResponse{}); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// GET /v1/acl/binding-rules?auth_method=NAME lists one method's rules.
func (s *HTTPServer) aclBindingRuleList(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.ACLSpecificRequest{Name: r.URL.Query().Get("auth_method")}
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.ACLBindingRuleListResponse
	if err := s.rpc(r, structs.ACLListBindingRulesRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return nonNil(out.Rules), nil
}

func (s *HTTPServer) aclBindingRuleCreate(w http.ResponseWriter, r *http.Request) (any, error) {
	var rule structs.ACLBindingRule
	if err := decodeBody(w, r, &rule); err != nil {
		return nil, err
	}
	if rule.ID != "" {
		return nil, badRequest("a new binding rule gets its ID from the servers; update one with PUT /v1/acl/binding-rule/<id>")
	}
	return s.upsertBindingRule(r, &rule)
}

func (s *HTTPServer) aclBindingRuleUpdate(w http.ResponseWriter, r *http.Request) (any, error) {
	var rule structs.ACLBindingRule
	if err := decodeBody(w, r, &rule); err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	if rule.ID == "" {
		rule.ID = id
	}
	if rule.ID != id {
		return nil, badRequest("binding rule ID %q in the body does not match %q in the URL", rule.ID, id)
	}
	return s.upsertBindingRule(r, &rule)
}

func (s *HTTPServer) upsertBindingRule(r *http.Request, rule *structs.ACLBindingRule) (any, error) {
	var out structs.ACLBindingRuleResponse
	if err := s.rpc(r, structs.ACLUpsertBindingRuleRPC, &structs.ACLBindingRuleUpsertRequest{Rule: rule}, &out); err != nil {
		return nil, err
	}
	return out.Rule, nil
}

func (s *HTTPServer) aclBindingRuleGet(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.ACLSpecificRequest{Name: r.PathValue("id")}
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.ACLBindingRuleResponse
	if err := s.rpc(r, structs.ACLGetBindingRuleRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return out.Rule, nil
}

func (s *HTTPServer) aclBindingRuleDelete(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.ACLNamesRequest{Names: []string{r.PathValue("id")}}
	if err := s.rpc(r, structs.ACLDeleteBindingRuleRPC, &args, &structs.GenericResponse{}); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
