package api

import (
	"fmt"
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// ACL is the /v1/acl/bootstrap part of the API; policies, tokens and roles
// have their own handles (ACLPolicies, ACLTokens, ACLRoles).
type ACL struct{ c *Client }

// ACL returns the bootstrap endpoint.
func (c *Client) ACL() *ACL { return &ACL{c: c} }

// bootstrapBody is sent only when a reset index is given, so that a plain
// bootstrap is a PUT without a body.
type bootstrapBody struct {
	ResetIndex uint64 `json:"reset_index"`
}

// Bootstrap creates the first management token. It works once; after the
// documented reset procedure it needs the reset index the servers report
// (0: no reset). The answer is the only place the secret ever appears.
func (a *ACL) Bootstrap(resetIndex uint64) (*structs.ACLToken, *WriteMeta, error) {
	var in any
	if resetIndex > 0 {
		in = &bootstrapBody{ResetIndex: resetIndex}
	}
	var out structs.ACLToken
	wm, err := a.c.write(http.MethodPut, "/v1/acl/bootstrap", nil, in, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// ACLPolicies is the /v1/acl/policies and /v1/acl/policy/<name> part of the API.
type ACLPolicies struct{ c *Client }

// ACLPolicies returns the policy endpoints.
func (c *Client) ACLPolicies() *ACLPolicies { return &ACLPolicies{c: c} }

// List returns every policy.
func (p *ACLPolicies) List(q *QueryOptions) ([]*structs.ACLPolicy, *QueryMeta, error) {
	var out []*structs.ACLPolicy
	qm, err := p.c.query("/v1/acl/policies", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Info returns one policy by name.
func (p *ACLPolicies) Info(name string, q *QueryOptions) (*structs.ACLPolicy, *QueryMeta, error) {
	if name == "" {
		return nil, nil, fmt.Errorf("a policy name is required")
	}
	var out structs.ACLPolicy
	qm, err := p.c.query("/v1/acl/policy/"+escapeID(name), nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Upsert creates or replaces the policy named policy.Name.
func (p *ACLPolicies) Upsert(policy *structs.ACLPolicy) (*structs.ACLPolicy, *WriteMeta, error) {
	if policy == nil || policy.Name == "" {
		return nil, nil, fmt.Errorf("a policy with a name is required")
	}
	var out structs.ACLPolicy
	wm, err := p.c.write(http.MethodPut, "/v1/acl/policy/"+escapeID(policy.Name), nil, policy, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// Delete removes a policy.
func (p *ACLPolicies) Delete(name string) (*WriteMeta, error) {
	if name == "" {
		return nil, fmt.Errorf("a policy name is required")
	}
	return p.c.write(http.MethodDelete, "/v1/acl/policy/"+escapeID(name), nil, nil, nil)
}

// ACLTokens is the /v1/acl/tokens and /v1/acl/token part of the API.
type ACLTokens struct{ c *Client }

// ACLTokens returns the token endpoints.
func (c *Client) ACLTokens() *ACLTokens { return &ACLTokens{c: c} }

// List returns every token, without secrets.
func (t *ACLTokens) List(q *QueryOptions) ([]*structs.ACLToken, *QueryMeta, error) {
	var out []*structs.ACLToken
	qm, err := t.c.query("/v1/acl/tokens", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Info returns one token by accessor ID, without its secret.
func (t *ACLTokens) Info(accessorID string, q *QueryOptions) (*structs.ACLToken, *QueryMeta, error) {
	if accessorID == "" {
		return nil, nil, fmt.Errorf("a token accessor ID is required")
	}
	var out structs.ACLToken
	qm, err := t.c.query("/v1/acl/token/"+escapeID(accessorID), nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Self returns the token the client sends.
func (t *ACLTokens) Self(q *QueryOptions) (*structs.ACLToken, *QueryMeta, error) {
	var out structs.ACLToken
	qm, err := t.c.query("/v1/acl/token/self", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Create makes a new token from Name, Type, Policies, Roles and
// ExpirationTTL; the servers choose the accessor and secret IDs. The answer
// carries the secret, which is never shown again.
func (t *ACLTokens) Create(token *structs.ACLToken) (*structs.ACLToken, *WriteMeta, error) {
	if token == nil {
		return nil, nil, fmt.Errorf("a token is required")
	}
	if token.AccessorID != "" {
		return nil, nil, fmt.Errorf("a new token must not have an accessor ID (the servers choose it); use Update to change token %s", token.AccessorID)
	}
	var out structs.ACLToken
	wm, err := t.c.write(http.MethodPut, "/v1/acl/token", nil, token, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// Update changes the name, policies and roles of the token token.AccessorID.
func (t *ACLTokens) Update(token *structs.ACLToken) (*structs.ACLToken, *WriteMeta, error) {
	if token == nil || token.AccessorID == "" {
		return nil, nil, fmt.Errorf("a token with an accessor ID is required")
	}
	var out structs.ACLToken
	wm, err := t.c.write(http.MethodPut, "/v1/acl/token/"+escapeID(token.AccessorID), nil, token, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// Delete revokes a token.
func (t *ACLTokens) Delete(accessorID string) (*WriteMeta, error) {
	if accessorID == "" {
		return nil, fmt.Errorf("a token accessor ID is required")
	}
	return t.c.write(http.MethodDelete, "/v1/acl/token/"+escapeID(accessorID), nil, nil, nil)
}

// ACLRoles is the /v1/acl/roles and /v1/acl/role part of the API.
type ACLRoles struct{ c *Client }

// ACLRoles returns the role endpoints.
func (c *Client) ACLRoles() *ACLRoles { return &ACLRoles{c: c} }

// List returns every role.
func (r *ACLRoles) List(q *QueryOptions) ([]*structs.ACLRole, *QueryMeta, error) {
	var out []*structs.ACLRole
	qm, err := r.c.query("/v1/acl/roles", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Info returns one role by ID.
func (r *ACLRoles) Info(id string, q *QueryOptions) (*structs.ACLRole, *QueryMeta, error) {
	if id == "" {
		return nil, nil, fmt.Errorf("a role ID is required")
	}
	return r.get("/v1/acl/role/"+escapeID(id), q)
}

// InfoByName returns one role by name.
func (r *ACLRoles) InfoByName(name string, q *QueryOptions) (*structs.ACLRole, *QueryMeta, error) {
	if name == "" {
		return nil, nil, fmt.Errorf("a role name is required")
	}
	return r.get("/v1/acl/role/name/"+escapeID(name), q)
}

func (r *ACLRoles) get(path string, q *QueryOptions) (*structs.ACLRole, *QueryMeta, error) {
	var out structs.ACLRole
	qm, err := r.c.query(path, nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Create makes a new role from Name, Description and Policies; the servers
// choose its ID.
func (r *ACLRoles) Create(role *structs.ACLRole) (*structs.ACLRole, *WriteMeta, error) {
	if role == nil || role.Name == "" {
		return nil, nil, fmt.Errorf("a role with a name is required")
	}
	if role.ID != "" {
		return nil, nil, fmt.Errorf("a new role must not have an ID (the servers choose it); use Update to change role %s", role.ID)
	}
	var out structs.ACLRole
	wm, err := r.c.write(http.MethodPut, "/v1/acl/role", nil, role, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// Update replaces the name, description and policies of the role role.ID.
func (r *ACLRoles) Update(role *structs.ACLRole) (*structs.ACLRole, *WriteMeta, error) {
	if role == nil || role.ID == "" {
		return nil, nil, fmt.Errorf("a role with an ID is required")
	}
	var out structs.ACLRole
	wm, err := r.c.write(http.MethodPut, "/v1/acl/role/"+escapeID(role.ID), nil, role, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// Delete removes a role by ID.
func (r *ACLRoles) Delete(id string) (*WriteMeta, error) {
	if id == "" {
		return nil, fmt.Errorf("a role ID is required")
	}
	return r.c.write(http.MethodDelete, "/v1/acl/role/"+escapeID(id), nil, nil, nil)
}

// IsPermissionDenied reports whether err is a 403 from the agent: the token
// lacks a capability (the message names it and the namespace).
func IsPermissionDenied(err error) bool { return statusCode(err) == http.StatusForbidden }
