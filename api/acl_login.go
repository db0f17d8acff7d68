package api

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/appmesh/appmesh/structs"
)

// LoginRequest is the body of POST /v1/acl/login: a user's name, password
// and TOTP code, or an auth method and its identity provider's JWT.
type LoginRequest struct {
	Username   string `json:"username,omitempty"`
	Password   string `json:"password,omitempty"`
	TOTP       string `json:"totp,omitempty"`
	AuthMethod string `json:"auth_method,omitempty"`
	JWT        string `json:"jwt,omitempty"`
}

// Login logs in and returns the token to send as X-Appmesh-Token (or
// Authorization: Bearer): a JWT with a refresh token for a user, an ACL
// token secret for an auth method.
func (a *ACL) Login(req *LoginRequest) (*structs.ACLLoginResponse, error) {
	if req == nil || (req.AuthMethod == "" && (req.Username == "" || req.Password == "")) {
		return nil, fmt.Errorf("a username and a password (or an auth method and a JWT) are required")
	}
	var out structs.ACLLoginResponse
	if _, err := a.c.write(http.MethodPost, "/v1/acl/login", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RefreshLogin exchanges a refresh token (once) for a new JWT and a new
// refresh token.
func (a *ACL) RefreshLogin(refreshToken string) (*structs.ACLLoginResponse, error) {
	if refreshToken == "" {
		return nil, fmt.Errorf("a refresh token is required")
	}
	var out structs.ACLLoginResponse
	in := map[string]string{"refresh_token": refreshToken}
	if _, err := a.c.write(http.MethodPost, "/v1/acl/login/refresh", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// JWKS returns the public keys that verify login JWTs.
func (a *ACL) JWKS(q *QueryOptions) (*structs.JWKS, *QueryMeta, error) {
	var out structs.JWKS
	qm, err := a.c.query("/v1/acl/jwks", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// SigningKeys lists the login signing keys (public parts only).
func (a *ACL) SigningKeys(q *QueryOptions) ([]*structs.ACLSigningKey, *QueryMeta, error) {
	var out []*structs.ACLSigningKey
	qm, err := a.c.query("/v1/acl/signing-keys", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// RotateSigningKey makes a new key sign login JWTs; tokens of the old one
// stay valid until they expire.
func (a *ACL) RotateSigningKey() (*structs.ACLSigningKey, error) {
	var out structs.ACLSigningKey
	if _, err := a.c.write(http.MethodPut, "/v1/acl/signing-key/rotate", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ACLUsers is the /v1/acl/users and /v1/acl/user part of the API.
type ACLUsers struct{ c *Client }

// ACLUsers returns the user endpoints.
func (c *Client) ACLUsers() *ACLUsers { return &ACLUsers{c: c} }

// UserSpec is a user to create or update, with its password (required on
// create, optional on update).
type UserSpec struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Type        string   `json:"type,omitempty"`
	Roles       []string `json:"roles,omitempty"`
	Policies    []string `json:"policies,omitempty"`
	Password    string   `json:"password,omitempty"`
}

func (u *ACLUsers) path(name string, rest string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("a user name is required")
	}
	return "/v1/acl/user/" + escapeID(name) + rest, nil
}

// List returns every user, without secrets.
func (u *ACLUsers) List(q *QueryOptions) ([]*structs.ACLUser, *QueryMeta, error) {
	var out []*structs.ACLUser
	qm, err := u.c.query("/v1/acl/users", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Info returns one user.
func (u *ACLUsers) Info(name string, q *QueryOptions) (*structs.ACLUser, *QueryMeta, error) {
	p, err := u.path(name, "")
	if err != nil {
		return nil, nil, err
	}
	var out structs.ACLUser
	qm, err := u.c.query(p, nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Create makes a user.
func (u *ACLUsers) Create(spec *UserSpec) (*structs.ACLUser, error) {
	if spec == nil || spec.Name == "" || spec.Password == "" {
		return nil, fmt.Errorf("a user needs a name and a password")
	}
	return u.send(http.MethodPut, "/v1/acl/user", spec)
}

// Update replaces a user's description, type, roles and policies (and its
// password, when given).
func (u *ACLUsers) Update(spec *UserSpec) (*structs.ACLUser, error) {
	if spec == nil {
		return nil, fmt.Errorf("a user is required")
	}
	p, err := u.path(spec.Name, "")
	if err != nil {
		return nil, err
	}
	return u.send(http.MethodPut, p, spec)
}

func (u *ACLUsers) send(method, path string, in any) (*structs.ACLUser, error) {
	var out structs.ACLUser
	if _, err := u.c.write(method, path, nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Delete removes a user; its tokens stop working.
func (u *ACLUsers) Delete(name string) error {
	p, err := u.path(name, "")
	if err != nil {
		return err
	}
	_, err = u.c.write(http.MethodDelete, p, nil, nil, nil)
	return err
}

// SetPassword sets a user's password. With a management token current may
// be empty; a user changing their own password gives the current one.
func (u *ACLUsers) SetPassword(name, password, current string) (*structs.ACLUser, error) {
	p, err := u.path(name, "/password")
	if err != nil {
		return nil, err
	}
	return u.send(http.MethodPut, p, map[string]string{"password": password, "current_password": current})
}

// Lock refuses the user's logins and revokes their tokens; Unlock lifts
// it (and any lockout after failed logins).
func (u *ACLUsers) Lock(name string) (*structs.ACLUser, error) { return u.lock(name, "/lock") }

func (u *ACLUsers) Unlock(name string) (*structs.ACLUser, error) { return u.lock(name, "/unlock") }

func (u *ACLUsers) lock(name, what string) (*structs.ACLUser, error) {
	p, err := u.path(name, what)
	if err != nil {
		return nil, err
	}
	return u.send(http.MethodPut, p, nil)
}

// TOTPEnroll starts a TOTP enrolment and returns the otpauth URI, its
// secret and a QR code PNG, shown this once.
func (u *ACLUsers) TOTPEnroll(name string) (*structs.ACLTOTPEnrollResponse, error) {
	p, err := u.path(name, "/totp/enroll")
	if err != nil {
		return nil, err
	}
	var out structs.ACLTOTPEnrollResponse
	if _, err := u.c.write(http.MethodPut, p, nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// TOTPConfirm finishes an enrolment with a code from the app.
func (u *ACLUsers) TOTPConfirm(name, code string) (*structs.ACLUser, error) {
	p, err := u.path(name, "/totp/confirm")
	if err != nil {
		return nil, err
	}
	return u.send(http.MethodPut, p, map[string]string{"code": code})
}

// TOTPDisable turns a user's TOTP off (management only).
func (u *ACLUsers) TOTPDisable(name string) (*structs.ACLUser, error) {
	p, err := u.path(name, "/totp")
	if err != nil {
		return nil, err
	}
	return u.send(http.MethodDelete, p, nil)
}

// ACLAuthMethods is the /v1/acl/auth-method part of the API.
type ACLAuthMethods struct{ c *Client }

// ACLAuthMethods returns the auth method endpoints.
func (c *Client) ACLAuthMethods() *ACLAuthMethods { return &ACLAuthMethods{c: c} }

func (m *ACLAuthMethods) List(q *QueryOptions) ([]*structs.ACLAuthMethod, *QueryMeta, error) {
	var out []*structs.ACLAuthMethod
	qm, err := m.c.query("/v1/acl/auth-methods", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

func (m *ACLAuthMethods) Info(name string, q *QueryOptions) (*structs.ACLAuthMethod, *QueryMeta, error) {
	if name == "" {
		return nil, nil, fmt.Errorf("an auth method name is required")
	}
	var out structs.ACLAuthMethod
	qm, err := m.c.query("/v1/acl/auth-method/"+escapeID(name), nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Upsert creates or replaces the auth method named method.Name.
func (m *ACLAuthMethods) Upsert(method *structs.ACLAuthMethod) (*structs.ACLAuthMethod, error) {
	if method == nil || method.Name == "" {
		return nil, fmt.Errorf("an auth method with a name is required")
	}
	var out structs.ACLAuthMethod
	if _, err := m.c.write(http.MethodPut, "/v1/acl/auth-method/"+escapeID(method.Name), nil, method, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (m *ACLAuthMethods) Delete(name string) error {
	if name == "" {
		return fmt.Errorf("an auth method name is required")
	}
	_, err := m.c.write(http.MethodDelete, "/v1/acl/auth-method/"+escapeID(name), nil, nil, nil)
	return err
}

// ACLBindingRules is the /v1/acl/binding-rule part of the API.
type ACLBindingRules struct{ c *Client }

// ACLBindingRules returns the binding rule endpoints.
func (c *Client) ACLBindingRules() *ACLBindingRules { return &ACLBindingRules{c: c} }

// List returns the binding rules, of one auth method when method is set.
func (b *ACLBindingRules) List(method string, q *QueryOptions) ([]*structs.ACLBindingRule, *QueryMeta, error) {
	var params url.Values
	if method != "" {
		params = url.Values{"auth_method": {method}}
	}
	var out []*structs.ACLBindingRule
	qm, err := b.c.query("/v1/acl/binding-rules", params, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

func (b *ACLBindingRules) Info(id string, q *QueryOptions) (*structs.ACLBindingRule, *QueryMeta, error) {
	if id == "" {
		return nil, nil, fmt.Errorf("a binding rule ID is required")
	}
	var out structs.ACLBindingRule
	qm, err := b.c.query("/v1/acl/binding-rule/"+escapeID(id), nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Create makes a binding rule; the servers choose its ID.
func (b *ACLBindingRules) Create(rule *structs.ACLBindingRule) (*structs.ACLBindingRule, error) {
	if rule == nil || rule.ID != "" {
		return nil, fmt.Errorf("a new binding rule without an ID is required")
	}
	var out structs.ACLBindingRule
	if _, err := b.c.write(http.MethodPut, "/v1/acl/binding-rule", nil, rule, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (b *ACLBindingRules) Delete(id string) error {
	if id == "" {
		return fmt.Errorf("a binding rule ID is required")
	}
	_, err := b.c.write(http.MethodDelete, "/v1/acl/binding-rule/"+escapeID(id), nil, nil, nil)
	return err
}
