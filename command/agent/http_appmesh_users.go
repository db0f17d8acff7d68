package agent

import (
	"encoding/base64"
	"encoding/json"
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// App Mesh's users are appmesh users (server ACL users): every route calls
// the user RPCs, which let a management token act on anyone and a user's
// own login token on itself (viaRPC).
func (s *HTTPServer) registerAppMeshUserRoutes() {
	get, put, post, del := http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete
	s.route("/appmesh/users", map[string]door{get: viaRPC(s.amErrors(s.amUsers))})
	s.route("/appmesh/user/{name}", map[string]door{
		get: viaRPC(s.amErrors(s.amUserGet)), put: viaRPC(s.amErrors(s.amUserPut)), del: viaRPC(s.amErrors(s.amUserDelete))})
	s.route("/appmesh/user/{name}/passwd", map[string]door{post: viaRPC(s.amErrors(s.amUserPasswd))})
	s.route("/appmesh/user/{name}/lock", map[string]door{post: viaRPC(s.amErrors(s.amUserLock(true)))})
	s.route("/appmesh/user/{name}/unlock", map[string]door{post: viaRPC(s.amErrors(s.amUserLock(false)))})
	s.registerAppMeshRoleRoutes()
}

// amUserJSON is an appmesh user in App Mesh's shape. group is the user's
// type (management or client); App Mesh's email, exec_user and metadata
// have no appmesh counterpart and are always empty.
func amUserJSON(u *structs.ACLUser) map[string]any {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return map[string]any{
		"name": u.Name, "email": "", "group": u.Type, "exec_user": "", "metadata": nil,
		"locked": u.Locked, "mfa_enabled": u.TOTPEnabled, "roles": roles,
		"description": u.Description, "policies": u.Policies,
	}
}

// amUserName is the path's user; "self" is the caller's own.
func (s *HTTPServer) amUserName(r *http.Request) (string, error) {
	if name := r.PathValue("name"); name != "self" {
		return name, nil
	}
	return s.amSelfUser(r)
}

// GET /appmesh/users: {"name": {user}, ...} (management).
func (s *HTTPServer) amUsers(w http.ResponseWriter, r *http.Request) (any, error) {
	var out structs.ACLUserListResponse
	if err := s.rpc(r, structs.ACLListUsersRPC, &structs.GenericRequest{}, &out); err != nil {
		return nil, err
	}
	users := map[string]any{}
	for _, u := range out.Users {
		users[u.Name] = amUserJSON(u)
	}
	return users, nil
}

// GET /appmesh/user/{name} (self: the caller); GET
// /appmesh/user/permissions and /appmesh/user/groups share the pattern.
func (s *HTTPServer) amUserGet(w http.ResponseWriter, r *http.Request) (any, error) {
	switch r.PathValue("name") {
	case "permissions":
		return s.amUserPermissions(w, r)
	case "groups":
		return s.amUserGroups(w, r)
	}
	name, err := s.amUserName(r)
	if err != nil {
		return nil, err
	}
	var out structs.ACLUserResponse
	if err := s.rpc(r, structs.ACLGetUserRPC, &structs.ACLSpecificRequest{Name: name}, &out); err != nil {
		return nil, err
	}
	if out.User == nil {
		return nil, notFound("user %q not found", name)
	}
	return amUserJSON(out.User), nil
}

// amUserBody is App Mesh's user body. key is the password (as in App
// Mesh's security.yaml); type is appmesh's own (client, the default, or
// management).
type amUserBody struct {
	Name       string          `json:"name"`
	Key        string          `json:"key"`
	Roles      []string        `json:"roles"`
	Type       string          `json:"type"`
	Group      string          `json:"group"`
	Email      string          `json:"email"`
	ExecUser   string          `json:"exec_user"`
	Locked     bool            `json:"locked"`
	MFAEnabled bool            `json:"mfa_enabled"`
	Metadata   json.RawMessage `json:"metadata"`
	// Read-back fields an SDK may send back whole.
	Description string   `json:"description"`
	Policies    []string `json:"policies"`
}

// check refuses what appmesh users cannot hold, naming the field.
func (b *amUserBody) check(name string) error {
	switch {
	case b.Name != "" && b.Name != name:
		return badRequest("user %q: name %q does not match the URL", name, b.Name)
	case b.Email != "":
		return badRequest("user %q: field \"email\": appmesh users have no email", name)
	case b.ExecUser != "":
		return badRequest("user %q: field \"exec_user\": applications run as the job says, not as a user's exec_user", name)
	case b.Group != "" && b.Group != b.userType():
		return badRequest("user %q: field \"group\": appmesh has no user groups; group may only repeat the type (%s)", name, b.userType())
	case b.MFAEnabled:
		return badRequest("user %q: field \"mfa_enabled\": turn TOTP on with /appmesh/totp/secret and /appmesh/totp/setup", name)
	case len(b.Metadata) > 0 && string(b.Metadata) != "null" && string(b.Metadata) != "{}" && string(b.Metadata) != `""`:
		return badRequest("user %q: field \"metadata\": appmesh users have no metadata", name)
	}
	return nil
}

func (b *amUserBody) userType() string {
	if b.Type == "" {
		return structs.ACLTokenTypeClient
	}
	return b.Type
}

// PUT /appmesh/user/{name} creates or updates a user (management). A new
// user needs key; locked: true locks it after the write.
func (s *HTTPServer) amUserPut(w http.ResponseWriter, r *http.Request) (any, error) {
	name := r.PathValue("name")
	var body amUserBody
	if err := decodeBody(w, r, &body); err != nil {
		return nil, err
	}
	if err := body.check(name); err != nil {
		return nil, err
	}
	u := &structs.ACLUser{Name: name, Type: body.userType(), Roles: body.Roles, Policies: body.Policies, Description: body.Description}
	var out structs.ACLUserResponse
	err := s.rpc(r, structs.ACLGetUserRPC, &structs.ACLSpecificRequest{Name: name}, &out)
	exists := err == nil && out.User != nil
	if err != nil && statusFor(err) != http.StatusNotFound {
		return nil, err
	}
	req := &structs.ACLUserUpsertRequest{User: u, Password: body.Key, Create: !exists}
	if err := s.rpc(r, structs.ACLUpsertUserRPC, req, &out); err != nil {
		return nil, err
	}
	if body.Locked {
		if err := s.rpc(r, structs.ACLSetUserLockRPC, &structs.ACLUserLockRequest{Name: name, Locked: true}, &out); err != nil {
			return nil, err
		}
	}
	return amUserJSON(out.User), nil
}

// DELETE /appmesh/user/{name} (management): its logins end with it.
func (s *HTTPServer) amUserDelete(w http.ResponseWriter, r *http.Request) (any, error) {
	name := r.PathValue("name")
	var got structs.ACLUserResponse
	if err := s.rpc(r, structs.ACLGetUserRPC, &structs.ACLSpecificRequest{Name: name}, &got); err != nil {
		return nil, err
	}
	var out structs.GenericResponse
	if err := s.rpc(r, structs.ACLDeleteUserRPC, &structs.ACLNamesRequest{Names: []string{name}}, &out); err != nil {
		return nil, err
	}
	return map[string]string{"message": "user " + name + " deleted"}, nil
}

// POST /appmesh/user/{name}/passwd with App Mesh's {"old_password",
// "new_password"}, both base64 as its SDKs send them. A user changing its
// own password (self) must give the old one; a management token need not.
func (s *HTTPServer) amUserPasswd(w http.ResponseWriter, r *http.Request) (any, error) {
	name, err := s.amUserName(r)
	if err != nil {
		return nil, err
	}
	var body struct {
		Old string `json:"old_password"`
		New string `json:"new_password"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		return nil, err
	}
	newPass, err := base64.StdEncoding.DecodeString(body.New)
	if err != nil || body.New == "" {
		return nil, badRequest("new_password: the new password, base64-encoded, is required")
	}
	oldPass, err := base64.StdEncoding.DecodeString(body.Old)
	if err != nil {
		return nil, badRequest("old_password: must be base64-encoded")
	}
	args := &structs.ACLUserPasswordRequest{Name: name, Password: string(newPass), CurrentPassword: string(oldPass)}
	var out structs.ACLUserResponse
	if err := s.rpc(r, structs.ACLSetUserPasswordRPC, args, &out); err != nil {
		return nil, err
	}
	return map[string]string{"message": "password of user " + name + " changed; its other tokens are revoked"}, nil
}

// POST /appmesh/user/{name}/lock|unlock (management).
func (s *HTTPServer) amUserLock(lock bool) endpoint {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		name := r.PathValue("name")
		var out structs.ACLUserResponse
		if err := s.rpc(r, structs.ACLSetUserLockRPC, &structs.ACLUserLockRequest{Name: name, Locked: lock}, &out); err != nil {
			return nil, err
		}
		verb := "unlocked"
		if lock {
			verb = "locked"
		}
		return map[string]string{"message": "user " + name + " " + verb}, nil
	}
}

// GET /appmesh/user/groups: appmesh has no user groups; App Mesh's group
// of a user is its type, so these are the two types (any valid token).
func (s *HTTPServer) amUserGroups(w http.ResponseWriter, r *http.Request) (any, error) {
	if ok, err := s.newPermChecker(r).allowed(structs.AuthorizeToken, "", ""); err != nil || !ok {
		if err == nil {
			err = &httpError{code: http.StatusForbidden, msg: "Permission denied: this request needs a valid token"}
		}
		return nil, err
	}
	return []string{structs.ACLTokenTypeClient, structs.ACLTokenTypeManagement}, nil
}
