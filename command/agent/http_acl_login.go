package agent

import (
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// Login rate limit per client address: a burst of 20, then one a second.
const (
	loginBurst  = 20
	loginPerSec = 1.0
)

// registerLoginRoutes wires login, the JWKS, users and auth methods. Login
// and refresh are public doors behind a per-address rate limit (the
// servers add a per-user lockout); the JWKS is public; everything else
// goes through the ACL RPCs, whose rules need a management token (or, for
// a user's own password and TOTP, that user's login token).
func (s *HTTPServer) registerLoginRoutes() {
	get, put, post, del := http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete
	lim := newLoginLimiter(loginBurst, loginPerSec)
	s.route("/v1/acl/login", map[string]door{put: public(lim.limited(s.aclLogin)), post: public(lim.limited(s.aclLogin))})
	s.route("/v1/acl/login/refresh", map[string]door{
		put: public(lim.limited(s.aclLoginRefresh)), post: public(lim.limited(s.aclLoginRefresh))})
	s.route("/v1/acl/jwks", map[string]door{get: public(s.aclJWKS)})
	s.route("/v1/.well-known/jwks.json", map[string]door{get: public(s.aclJWKS)})
	s.route("/v1/acl/signing-keys", map[string]door{get: viaRPC(s.aclSigningKeys)})
	s.route("/v1/acl/signing-key/rotate", map[string]door{put: viaRPC(s.aclSigningKeyRotate), post: viaRPC(s.aclSigningKeyRotate)})
	s.route("/v1/acl/users", map[string]door{get: viaRPC(s.aclUserList)})
	s.route("/v1/acl/user", map[string]door{put: viaRPC(s.aclUserCreate), post: viaRPC(s.aclUserCreate)})
	s.route("/v1/acl/user/{name}", map[string]door{
		get: viaRPC(s.aclUserGet), put: viaRPC(s.aclUserUpdate), post: viaRPC(s.aclUserUpdate), del: viaRPC(s.aclUserDelete)})
	s.route("/v1/acl/user/{name}/password", map[string]door{put: viaRPC(s.aclUserPassword), post: viaRPC(s.aclUserPassword)})
	s.route("/v1/acl/user/{name}/lock", map[string]door{put: viaRPC(s.aclUserLock(true)), post: viaRPC(s.aclUserLock(true))})
	s.route("/v1/acl/user/{name}/unlock", map[string]door{put: viaRPC(s.aclUserLock(false)), post: viaRPC(s.aclUserLock(false))})
	s.route("/v1/acl/user/{name}/totp", map[string]door{del: viaRPC(s.aclTOTPDisable)})
	s.route("/v1/acl/user/{name}/totp/enroll", map[string]door{put: viaRPC(s.aclTOTPEnroll), post: viaRPC(s.aclTOTPEnroll)})
	s.route("/v1/acl/user/{name}/totp/confirm", map[string]door{put: viaRPC(s.aclTOTPConfirm), post: viaRPC(s.aclTOTPConfirm)})
	s.registerAuthMethodRoutes()
}

// POST /v1/acl/login with {"username","password","totp"} or
// {"auth_method","jwt"}. Nothing of the body is logged.
func (s *HTTPServer) aclLogin(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.ACLLoginRequest
	if err := decodeBody(w, r, &args); err != nil {
		return nil, err
	}
	var out structs.ACLLoginResponse
	if err := s.rpc(r, structs.ACLLoginRPC, &args, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// POST /v1/acl/login/refresh with {"refresh_token"}.
func (s *HTTPServer) aclLoginRefresh(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.ACLLoginRefreshRequest
	if err := decodeBody(w, r, &args); err != nil {
		return nil, err
	}
	var out structs.ACLLoginResponse
	if err := s.rpc(r, structs.ACLLoginRefreshRPC, &args, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GET /v1/acl/jwks (and /v1/.well-known/jwks.json): the keys that verify
// login JWTs, as a JSON Web Key Set.
func (s *HTTPServer) aclJWKS(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.GenericRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.ACLPublicKeysResponse
	if err := s.rpc(r, structs.ACLPublicKeysRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return &out.JWKS, nil
}

func (s *HTTPServer) aclSigningKeys(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.GenericRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.ACLSigningKeysResponse
	if err := s.rpc(r, structs.ACLListSigningKeysRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return nonNil(out.Keys), nil
}

func (s *HTTPServer) aclSigningKeyRotate(w http.ResponseWriter, r *http.Request) (any, error) {
	var out structs.ACLSigningKeysResponse
	if err := s.rpc(r, structs.ACLRotateSigningKeyRPC, &structs.GenericRequest{}, &out); err != nil {
		return nil, err
	}
	return out.Keys[0], nil
}

func (s *HTTPServer) aclUserList(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.GenericRequest
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.ACLUserListResponse
	if err := s.rpc(r, structs.ACLListUsersRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return nonNil(out.Users), nil
}

// userBody is a user as the API takes it: its fields and the password.
type userBody struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Type        string   `json:"type,omitempty"`
	Roles       []string `json:"roles,omitempty"`
	Policies    []string `json:"policies,omitempty"`
	Password    string   `json:"password,omitempty"`
}

// PUT /v1/acl/user creates a user; a password is required.
func (s *HTTPServer) aclUserCreate(w http.ResponseWriter, r *http.Request) (any, error) {
	var b userBody
	if err := decodeBody(w, r, &b); err != nil {
		return nil, err
	}
	return s.upsertUser(r, &b, true)
}

// PUT /v1/acl/user/<name> replaces a user's description, type, roles and
// policies, and its password when one is given.
func (s *HTTPServer) aclUserUpdate(w http.ResponseWriter, r *http.Request) (any, error) {
	var b userBody
	if err := decodeBody(w, r, &b); err != nil {
		return nil, err
	}
	name := r.PathValue("name")
	if b.Name == "" {
		b.Name = name
	}
	if b.Name != name {
		return nil, badRequest("user name %q in the body does not match %q in the URL", b.Name, name)
	}
	return s.upsertUser(r, &b, false)
}

func (s *HTTPServer) upsertUser(r *http.Request, b *userBody, create bool) (any, error) {
	args := structs.ACLUserUpsertRequest{Create: create, Password: b.Password, User: &structs.ACLUser{
		Name: b.Name, Description: b.Description, Type: b.Type, Roles: b.Roles, Policies: b.Policies}}
	var out structs.ACLUserResponse
	if err := s.rpc(r, structs.ACLUpsertUserRPC, &args, &out); err != nil {
		return nil, err
	}
	return out.User, nil
}

func (s *HTTPServer) aclUserGet(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.ACLSpecificRequest{Name: r.PathValue("name")}
	if err := parseQuery(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.ACLUserResponse
	if err := s.rpc(r, structs.ACLGetUserRPC, &args, &out); err != nil {
		return nil, err
	}
	setMeta(w, &out.QueryMeta)
	return out.User, nil
}

func (s *HTTPServer) aclUserDelete(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.ACLNamesRequest{Names: []string{r.PathValue("name")}}
	if err := s.rpc(r, structs.ACLDeleteUserRPC, &args, &structs.GenericResponse{}); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// PUT /v1/acl/user/<name>/password with {"password","current_password"}.
func (s *HTTPServer) aclUserPassword(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.ACLUserPasswordRequest
	if err := decodeBody(w, r, &args); err != nil {
		return nil, err
	}
	args.Name = r.PathValue("name")
	var out structs.ACLUserResponse
	if err := s.rpc(r, structs.ACLSetUserPasswordRPC, &args, &out); err != nil {
		return nil, err
	}
	return out.User, nil
}

func (s *HTTPServer) aclUserLock(locked bool) endpoint {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		args := structs.ACLUserLockRequest{Name: r.PathValue("name"), Locked: locked}
		var out structs.ACLUserResponse
		if err := s.rpc(r, structs.ACLSetUserLockRPC, &args, &out); err != nil {
			return nil, err
		}
		return out.User, nil
	}
}

// PUT /v1/acl/user/<name>/totp/enroll → {"uri","secret","qr_png"}: the
// only answer that shows the secret.
func (s *HTTPServer) aclTOTPEnroll(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.ACLTOTPRequest{Name: r.PathValue("name")}
	var out structs.ACLTOTPEnrollResponse
	if err := s.rpc(r, structs.ACLTOTPEnrollRPC, &args, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PUT /v1/acl/user/<name>/totp/confirm with {"code"}.
func (s *HTTPServer) aclTOTPConfirm(w http.ResponseWriter, r *http.Request) (any, error) {
	var args structs.ACLTOTPRequest
	if err := decodeBody(w, r, &args); err != nil {
		return nil, err
	}
	args.Name = r.PathValue("name")
	var out structs.ACLUserResponse
	if err := s.rpc(r, structs.ACLTOTPConfirmRPC, &args, &out); err != nil {
		return nil, err
	}
	return out.User, nil
}

func (s *HTTPServer) aclTOTPDisable(w http.ResponseWriter, r *http.Request) (any, error) {
	args := structs.ACLTOTPRequest{Name: r.PathValue("name")}
	var out structs.ACLUserResponse
	if err := s.rpc(r, structs.ACLTOTPDisableRPC, &args, &out); err != nil {
		return nil, err
	}
	return out.User, nil
}
