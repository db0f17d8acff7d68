package agent

import (
	"fmt"
	"net/http"

	"github.com/appmesh/appmesh/appmeshapi"
	"github.com/appmesh/appmesh/structs"
)

// App Mesh's roles are ACL roles: role "dev" holds the one policy
// "appmesh-role-dev", whose rules grant the role's permissions
// (appmeshapi.RolePolicy) and whose description lists their names.
func (s *HTTPServer) registerAppMeshRoleRoutes() {
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	s.route("/appmesh/roles", map[string]door{get: viaRPC(s.amErrors(s.amRoles))})
	s.route("/appmesh/role/{name}", map[string]door{post: viaRPC(s.amErrors(s.amRoleSet)), del: viaRPC(s.amErrors(s.amRoleDelete))})
	// The permission names are no secret, but App Mesh asks for a token.
	s.route("/appmesh/permissions", map[string]door{get: anyToken(s.amErrors(s.amPermissions))})
	// GET /appmesh/user/permissions shares the pattern of GET
	// /appmesh/user/{name} (the mux cannot hold both): amUserGet sends it here.
}

// anyToken needs a valid token (or the anonymous policy), nothing more.
func anyToken(fn endpoint) door {
	return door{fn: fn, rule: accessRule{kind: structs.AuthorizeToken}}
}

// GET /appmesh/roles: {"role": ["permission", ...]} for the roles made
// through /appmesh/ that the token may see (its own; management: all).
func (s *HTTPServer) amRoles(w http.ResponseWriter, r *http.Request) (any, error) {
	var roles structs.ACLRoleListResponse
	if err := s.rpc(r, structs.ACLListRolesRPC, &structs.GenericRequest{}, &roles); err != nil {
		return nil, err
	}
	var pols structs.ACLPolicyListResponse
	if err := s.rpc(r, structs.ACLListPoliciesRPC, &structs.GenericRequest{}, &pols); err != nil {
		return nil, err
	}
	desc := map[string]string{}
	for _, p := range pols.Policies {
		desc[p.Name] = p.Description
	}
	out := map[string][]string{}
	for _, role := range roles.Roles {
		if len(role.Policies) != 1 || role.Policies[0] != appmeshapi.RolePolicyPrefix+role.Name {
			continue // not an App Mesh role
		}
		if perms, ok := appmeshapi.RolePermissions(desc[role.Policies[0]]); ok {
			out[role.Name] = perms
		}
	}
	return out, nil
}

// amRoleByName reads an ACL role by name; nil when there is none.
func (s *HTTPServer) amRoleByName(r *http.Request, name string) (*structs.ACLRole, error) {
	var out structs.ACLRoleResponse
	args := &structs.ACLSpecificRequest{Name: name}
	args.Prefix = "name"
	if err := s.rpc(r, structs.ACLGetRoleRPC, args, &out); err != nil {
		if statusFor(err) == http.StatusNotFound {
			return nil, nil
		}
		return nil, err
	}
	return out.Role, nil
}

// amOwnRole refuses an ACL role /appmesh/ did not make.
func amOwnRole(role *structs.ACLRole) error {
	if len(role.Policies) != 1 || role.Policies[0] != appmeshapi.RolePolicyPrefix+role.Name {
		return fmt.Errorf("%w: ACL role %q was not made through /appmesh/ (its policies are %v): change it with appmesh acl role",
			structs.ErrConflict, role.Name, role.Policies)
	}
	return nil
}

// POST /appmesh/role/{name} with a JSON array of permission names creates
// or replaces the role (management).
func (s *HTTPServer) amRoleSet(w http.ResponseWriter, r *http.Request) (any, error) {
	name := r.PathValue("name")
	var perms []string
	if err := decodeBody(w, r, &perms); err != nil {
		return nil, err
	}
	rules, desc, err := appmeshapi.RolePolicy(perms)
	if err != nil {
		return nil, badRequest("role %q: %v", name, err)
	}
	old, err := s.amRoleByName(r, name)
	if err != nil {
		return nil, err
	}
	role := &structs.ACLRole{Name: name, Policies: []string{appmeshapi.RolePolicyPrefix + name},
		Description: "App Mesh role (POST /appmesh/role/" + name + ")"}
	if old != nil {
		if err := amOwnRole(old); err != nil {
			return nil, err
		}
		role.ID = old.ID
	}
	pol := &structs.ACLPolicy{Name: appmeshapi.RolePolicyPrefix + name, Description: desc, Rules: rules}
	var gen structs.GenericResponse
	if err := s.rpc(r, structs.ACLUpsertPoliciesRPC, &structs.ACLPolicyUpsertRequest{Policies: []*structs.ACLPolicy{pol}}, &gen); err != nil {
		return nil, err
	}
	var out structs.ACLRoleUpsertResponse
	if err := s.rpc(r, structs.ACLUpsertRolesRPC, &structs.ACLRoleUpsertRequest{Roles: []*structs.ACLRole{role}}, &out); err != nil {
		return nil, err
	}
	got, _ := appmeshapi.RolePermissions(desc)
	return map[string][]string{name: got}, nil
}

// DELETE /appmesh/role/{name} removes the role and its policy
// (management); users that named it lose what it granted.
func (s *HTTPServer) amRoleDelete(w http.ResponseWriter, r *http.Request) (any, error) {
	name := r.PathValue("name")
	role, err := s.amRoleByName(r, name)
	if err != nil {
		return nil, err
	}
	if role == nil {
		return nil, notFound("role %q not found", name)
	}
	if err := amOwnRole(role); err != nil {
		return nil, err
	}
	var gen structs.GenericResponse
	if err := s.rpc(r, structs.ACLDeleteRolesRPC, &structs.ACLNamesRequest{Names: []string{role.ID}}, &gen); err != nil {
		return nil, err
	}
	if err := s.rpc(r, structs.ACLDeletePoliciesRPC, &structs.ACLNamesRequest{Names: role.Policies}, &gen); err != nil {
		return nil, err
	}
	return map[string]string{"message": "role " + name + " deleted"}, nil
}

// GET /appmesh/permissions: every App Mesh permission name.
func (s *HTTPServer) amPermissions(w http.ResponseWriter, r *http.Request) (any, error) {
	return appmeshapi.PermissionNames(), nil
}

// GET /appmesh/user/permissions: the names of the permissions the
// request's token holds, each checked by the servers' ACL check.
func (s *HTTPServer) amUserPermissions(w http.ResponseWriter, r *http.Request) (any, error) {
	chk := s.newPermChecker(r)
	if ok, err := chk.allowed(structs.AuthorizeToken, "", ""); err != nil || !ok {
		if err == nil {
			err = &httpError{code: http.StatusForbidden, msg: "Permission denied: this request needs a valid token"}
		}
		return nil, err
	}
	out := []string{}
	for _, name := range appmeshapi.PermissionNames() {
		p, _ := appmeshapi.PermissionByName(name)
		ok, err := chk.holds(p)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, name)
		}
	}
	return out, nil
}

// permChecker asks the servers whether the request's token holds App
// Mesh permissions, each distinct check once.
type permChecker struct {
	s    *HTTPServer
	r    *http.Request
	seen map[structs.ACLAuthorizeRequest]bool
}

func (s *HTTPServer) newPermChecker(r *http.Request) *permChecker {
	return &permChecker{s: s, r: r, seen: map[structs.ACLAuthorizeRequest]bool{}}
}

func (c *permChecker) allowed(kind, capability, access string) (bool, error) {
	key := structs.ACLAuthorizeRequest{Kind: kind, Capability: capability, Access: access}
	if v, ok := c.seen[key]; ok {
		return v, nil
	}
	args := key
	args.Namespace = structs.DefaultNamespace
	var reply structs.ACLAuthorizeResponse
	err := c.s.rpc(c.r, structs.ACLAuthorizeRPC, &args, &reply)
	if err != nil && statusFor(err) != http.StatusForbidden {
		return false, err
	}
	c.seen[key] = err == nil
	return err == nil, nil
}

// holds reports whether the token holds permission p.
func (c *permChecker) holds(p appmeshapi.Permission) (bool, error) {
	switch p.Grant {
	case appmeshapi.GrantAnyToken:
		return c.allowed(structs.AuthorizeToken, "", "")
	case appmeshapi.GrantManagement:
		return c.allowed(structs.AuthorizeManagement, "App Mesh permission "+p.Name, "")
	}
	for _, capability := range p.Capabilities {
		if ok, err := c.allowed(structs.AuthorizeNamespace, capability, ""); !ok || err != nil {
			return false, err
		}
	}
	for kind, access := range map[string]string{structs.AuthorizeNode: p.Node, structs.AuthorizeAgent: p.Agent} {
		if access == "" {
			continue
		}
		if ok, err := c.allowed(kind, "", access); !ok || err != nil {
			return false, err
		}
	}
	return true, nil
}

// amCheckPermission answers X-Permission on /appmesh/auth: 403 when the
// token does not hold the App Mesh permission ("" checks nothing).
func (s *HTTPServer) amCheckPermission(r *http.Request, name string) error {
	if name == "" {
		return nil
	}
	p, ok := appmeshapi.PermissionByName(name)
	if !ok {
		return badRequest("X-Permission %q: unknown permission (GET /appmesh/permissions lists them)", name)
	}
	held, err := s.newPermChecker(r).holds(p)
	if err != nil {
		return err
	}
	if !held {
		return &httpError{code: http.StatusForbidden, msg: fmt.Sprintf("Permission denied: the token does not hold permission %q", name)}
	}
	return nil
}
