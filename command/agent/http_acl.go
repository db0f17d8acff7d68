package agent

import (
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// registerACLRoutes wires /v1/acl/. Every route goes through the ACL RPCs,
// whose rules (server/acl_rules.go) say who may call them; bootstrap is the
// one door open without a token, and it opens once.
func (s *HTTPServer) registerACLRoutes() {
	get, put, post, del := http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete
	s.route("/v1/acl/bootstrap", map[string]door{put: public(s.aclBootstrap), post: public(s.aclBootstrap)})
	s.route("/v1/acl/policies", map[string]door{get: viaRPC(s.aclPolicyList)})
	s.route("/v1/acl/policy/{name}", map[string]door{
		get: viaRPC(s.aclPolicyGet), put: viaRPC(s.aclPolicyPut), post: viaRPC(s.aclPolicyPut), del: viaRPC(s.aclPolicyDelete)})
	s.route("/v1/acl/tokens", map[string]door{get: viaRPC(s.aclTokenList)})
	s.route("/v1/acl/token", map[string]door{put: viaRPC(s.aclTokenCreate), post: viaRPC(s.aclTokenCreate)})
	s.route("/v1/acl/token/{id}", map[string]door{
		get: viaRPC(s.aclTokenGet), put: viaRPC(s.aclTokenUpdate), post: viaRPC(s.aclTokenUpdate), del: viaRPC(s.aclTokenDelete)})
	s.route("/v1/acl/roles", map[string]door{get: viaRPC(s.aclRoleList)})
	s.route("/v1/acl/role", map[string]door{put: viaRPC(s.aclRoleCreate), post: viaRPC(s.aclRoleCreate)})
	s.route("/v1/acl/role/name/{name}", map[string]door{get: viaRPC(s.aclRoleGetByName)})
	s.route("/v1/acl/role/{id}", map[string]door{
		get: viaRPC(s.aclRoleGet), put: viaRPC(s.aclRoleUpdate), post: viaRPC(s.aclRoleUpdate), del: viaRPC(s.aclRoleDelete)})
}

// PUT /v1/acl/bootstrap → the first management token, with its secret.
// An optional body {"reset_index": N} is the reset procedure's.
func (s *HTTPServer) aclBootstrap(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.ACLBootstrapRequest
	if r.ContentLength != 0 { // -1: a chunked body
		if err := decodeBody(w, r, &args); err != nil {
			return nil, err
		}
	}
	var out structs.ACLTokenResponse
	if err := s.rpc(r, structs.ACLBootstrapRPC, &args, &out); err != nil {
		return nil, err
	}
	return out.Token, nil
}

func (s *HTTPServer) aclPolicyList(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.GenericRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.ACLPolicyListResponse
	if err := s.rpc(r, structs.ACLListPoliciesRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return nonNil(out.Policies), nil
}

func (s *HTTPServer) aclPolicyGet(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.ACLSpecificRequest{Name: r.PathValue("name")}
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.ACLPolicyResponse
	if err := s.rpc(r, structs.ACLGetPolicyRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return out.Policy, nil
}

// PUT /v1/acl/policy/<name> with {"name", "description", "rules"}.
func (s *HTTPServer) aclPolicyPut(w http.ResponseWriter, r *http.Request) (any, error) {
	var p structs.ACLPolicy
	if err := decodeBody(w, r, &p); err != nil {
		return nil, err
	}
	name := r.PathValue("name")
	if p.Name == "" {
		p.Name = name
	}
	if p.Name != name {
		return nil, badRequest("policy name %q in the body does not match %q in the URL", p.Name, name)
	}
	args := structs.ACLPolicyUpsertRequest{Policies: []*structs.ACLPolicy{&p}}
	var out structs.GenericResponse
	if err := s.rpc(r, structs.ACLUpsertPoliciesRPC, &args, &out); err != nil {
		return nil, err
	}
	var got structs.ACLPolicyResponse
	if err := s.rpc(r, structs.ACLGetPolicyRPC, &structs.ACLSpecificRequest{Name: name}, &got); err != nil {
		return nil, err
	}
	return got.Policy, nil
}

func (s *HTTPServer) aclPolicyDelete(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.ACLNamesRequest{Names: []string{r.PathValue("name")}}
	var out structs.GenericResponse
	if err := s.rpc(r, structs.ACLDeletePoliciesRPC, &args, &out); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *HTTPServer) aclTokenList(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.GenericRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.ACLTokenListResponse
	if err := s.rpc(r, structs.ACLListTokensRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return nonNil(out.Tokens), nil
}

// PUT /v1/acl/token creates a token; its secret is in this answer only.
func (s *HTTPServer) aclTokenCreate(w http.ResponseWriter, r *http.Request) (any, error) {
	var t structs.ACLToken
	if err := decodeBody(w, r, &t); err != nil {
		return nil, err
	}
	if t.AccessorID != "" {
		return nil, badRequest("accessor_id is chosen by the server: update a token with PUT /v1/acl/token/<accessor_id>")
	}
	return s.upsertToken(r, &t)
}

func (s *HTTPServer) aclTokenUpdate(w http.ResponseWriter, r *http.Request) (any, error) {
	var t structs.ACLToken
	if err := decodeBody(w, r, &t); err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	if t.AccessorID != "" && t.AccessorID != id {
		return nil, badRequest("accessor_id %q in the body does not match %q in the URL", t.AccessorID, id)
	}
	t.AccessorID = id
	return s.upsertToken(r, &t)
}

func (s *HTTPServer) upsertToken(r *http.Request, t *structs.ACLToken) (any, error) {
	args := structs.ACLTokenUpsertRequest{Tokens: []*structs.ACLToken{t}}
	var out structs.ACLTokenUpsertResponse
	if err := s.rpc(r, structs.ACLUpsertTokensRPC, &args, &out); err != nil {
		return nil, err
	}
	if len(out.Tokens) != 1 {
		return nil, &httpError{code: http.StatusInternalServerError, msg: "the server answered no token"}
	}
	return out.Tokens[0], nil
}

// GET /v1/acl/token/<accessor_id>, or /v1/acl/token/self for the
// request's own token (one route: the mux cannot hold both patterns).
func (s *HTTPServer) aclTokenGet(w http.ResponseWriter, r *http.Request) (any, error) {
	if r.PathValue("id") == "self" {
		return s.aclTokenSelf(w, r)
	}
	args := structs.ACLSpecificRequest{Name: r.PathValue("id")}
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.ACLTokenGetResponse
	if err := s.rpc(r, structs.ACLGetTokenRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return out.Token, nil
}

func (s *HTTPServer) aclTokenSelf(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.GenericRequest
	var out structs.ACLTokenGetResponse
	if err := s.rpc(r, structs.ACLTokenSelfRPC, &args, &out); err != nil {
		return nil, err
	}
	return out.Token, nil
}

func (s *HTTPServer) aclTokenDelete(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.ACLNamesRequest{Names: []string{r.PathValue("id")}}
	var out structs.GenericResponse
	if err := s.rpc(r, structs.ACLDeleteTokensRPC, &args, &out); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *HTTPServer) aclRoleList(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.GenericRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.ACLRoleListResponse
	if err := s.rpc(r, structs.ACLListRolesRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return nonNil(out.Roles), nil
}

func (s *HTTPServer) aclRoleCreate(w http.ResponseWriter, r *http.Request) (any, error) {
	var role structs.ACLRole
	if err := decodeBody(w, r, &role); err != nil {
		return nil, err
	}
	if role.ID != "" {
		return nil, badRequest("id is chosen by the server: update a role with PUT /v1/acl/role/<id>")
	}
	return s.upsertRole(r, &role)
}

func (s *HTTPServer) aclRoleUpdate(w http.ResponseWriter, r *http.Request) (any, error) {
	var role structs.ACLRole
	if err := decodeBody(w, r, &role); err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	if role.ID != "" && role.ID != id {
		return nil, badRequest("id %q in the body does not match %q in the URL", role.ID, id)
	}
	role.ID = id
	return s.upsertRole(r, &role)
}

func (s *HTTPServer) upsertRole(r *http.Request, role *structs.ACLRole) (any, error) {
	args := structs.ACLRoleUpsertRequest{Roles: []*structs.ACLRole{role}}
	var out structs.ACLRoleUpsertResponse
	if err := s.rpc(r, structs.ACLUpsertRolesRPC, &args, &out); err != nil {
		return nil, err
	}
	if len(out.Roles) != 1 {
		return nil, &httpError{code: http.StatusInternalServerError, msg: "the server answered no role"}
	}
	return out.Roles[0], nil
}

func (s *HTTPServer) aclRoleGet(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.roleGet(w, r, structs.ACLSpecificRequest{Name: r.PathValue("id")})
}

func (s *HTTPServer) aclRoleGetByName(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.ACLSpecificRequest{Name: r.PathValue("name")}
	args.Prefix = "name"
	return s.roleGet(w, r, args)
}

func (s *HTTPServer) roleGet(w http.ResponseWriter, r *http.Request, args structs.ACLSpecificRequest) (any, error) {
	prefix := args.Prefix
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	args.Prefix = prefix
	var out structs.ACLRoleResponse
	if err := s.rpc(r, structs.ACLGetRoleRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return out.Role, nil
}

func (s *HTTPServer) aclRoleDelete(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.ACLNamesRequest{Names: []string{r.PathValue("id")}}
	var out structs.GenericResponse
	if err := s.rpc(r, structs.ACLDeleteRolesRPC, &args, &out); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
