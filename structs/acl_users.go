package structs

import "time"

// Raft message types of users, login sessions, the cluster's signing keys,
// auth methods and binding rules (phase 4, range 30-39).
const (
	ACLUserUpsertRequestType        MessageType = 30
	ACLUserDeleteRequestType        MessageType = 31
	ACLSigningKeysRequestType       MessageType = 32
	ACLAuthMethodUpsertRequestType  MessageType = 33
	ACLAuthMethodDeleteRequestType  MessageType = 34
	ACLBindingRuleUpsertRequestType MessageType = 35
	ACLBindingRuleDeleteRequestType MessageType = 36
)

// RPC methods of users and login.
const (
	ACLLoginRPC             = "ACL.Login"
	ACLLoginRefreshRPC      = "ACL.LoginRefresh"
	ACLLoginRenewRPC        = "ACL.LoginRenew"
	ACLLogoutRPC            = "ACL.Logout"
	ACLPublicKeysRPC        = "ACL.PublicKeys"
	ACLUpsertUserRPC        = "ACL.UpsertUser"
	ACLDeleteUserRPC        = "ACL.DeleteUser"
	ACLListUsersRPC         = "ACL.ListUsers"
	ACLGetUserRPC           = "ACL.GetUser"
	ACLSetUserPasswordRPC   = "ACL.SetUserPassword"
	ACLSetUserLockRPC       = "ACL.SetUserLock"
	ACLTOTPEnrollRPC        = "ACL.TOTPEnroll"
	ACLTOTPConfirmRPC       = "ACL.TOTPConfirm"
	ACLTOTPDisableRPC       = "ACL.TOTPDisable"
	ACLRotateSigningKeyRPC  = "ACL.RotateSigningKey"
	ACLListSigningKeysRPC   = "ACL.ListSigningKeys"
	ACLUpsertAuthMethodRPC  = "ACL.UpsertAuthMethod"
	ACLDeleteAuthMethodRPC  = "ACL.DeleteAuthMethod"
	ACLListAuthMethodsRPC   = "ACL.ListAuthMethods"
	ACLGetAuthMethodRPC     = "ACL.GetAuthMethod"
	ACLUpsertBindingRuleRPC = "ACL.UpsertBindingRule"
	ACLDeleteBindingRuleRPC = "ACL.DeleteBindingRule"
	ACLListBindingRulesRPC  = "ACL.ListBindingRules"
	ACLGetBindingRuleRPC    = "ACL.GetBindingRule"
)

// UserAccessorPrefix starts the accessor ID of the token the servers make
// up for a request that carries a user's login JWT ("user:alice"; never
// stored), so rules can tell whose JWT a request carries.
const UserAccessorPrefix = "user:"

// ACLUser is a local user who logs in with a password (and a TOTP code
// once enrolled) and gets a short-lived JWT. The secret fields travel in
// Raft and snapshots and are cleared from every API answer (Sanitize).
type ACLUser struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Type is "client" (roles and policies grant what the user may do) or
	// "management" (everything).
	Type     string   `json:"type"`
	Roles    []string `json:"roles,omitempty"`
	Policies []string `json:"policies,omitempty"`

	// PasswordHash is the argon2id hash in PHC form, with its salt and
	// parameters ("$argon2id$v=19$m=...,t=...,p=...$salt$hash").
	PasswordHash string `json:"password_hash,omitempty"`

	// Locked is the operator's lock (user lock|unlock).
	Locked bool `json:"locked"`
	// FailedLogins counts wrong passwords or codes since the last success
	// or lockout; Lockouts counts lockouts since the last success, and
	// each lockout lasts twice as long as the one before.
	FailedLogins int        `json:"failed_logins"`
	Lockouts     int        `json:"lockouts"`
	LockedUntil  *time.Time `json:"locked_until,omitempty"`
	// LockoutDuration is how long the last lockout lasts.
	LockoutDuration Duration `json:"lockout_duration,omitempty"`

	// TOTPSecret (base32) is set once enrolment is confirmed; a code is
	// then required at login. TOTPPending holds the secret of an
	// enrolment that waits for its first code. TOTPLastStep is the time
	// step of the last code accepted: a code of that step or older is
	// refused, so a code works once.
	TOTPSecret   string `json:"totp_secret,omitempty"`
	TOTPPending  string `json:"totp_pending,omitempty"`
	TOTPEnabled  bool   `json:"totp_enabled"`
	TOTPLastStep int64  `json:"totp_last_step,omitempty"`

	// Generation grows on every password change, lock and delete-and-
	// recreate; a JWT carries the generation it was issued under and is
	// refused once it differs, which revokes the user's tokens at once.
	Generation uint64 `json:"generation"`

	CreateTime  time.Time `json:"create_time"`
	CreateIndex uint64    `json:"create_index"`
	ModifyIndex uint64    `json:"modify_index"`
}

// Sanitize returns a copy without the password hash and TOTP secrets.
func (u *ACLUser) Sanitize() *ACLUser {
	if u == nil {
		return nil
	}
	c := *u
	c.PasswordHash, c.TOTPSecret, c.TOTPPending = "", "", ""
	return &c
}

// IsLockedOut reports whether failed logins lock the user at now.
func (u *ACLUser) IsLockedOut(now time.Time) bool {
	return u.LockedUntil != nil && now.Before(*u.LockedUntil)
}

// ACLLoginSession is one login: the family of refresh tokens it hands out,
// one valid at a time. Only hashes are stored. A refresh token used twice
// revokes the session, and with it every JWT issued under it.
type ACLLoginSession struct {
	ID   string `json:"id"`
	User string `json:"user"`
	// CurrentHash is HashSecret of the one refresh token that works now;
	// UsedHashes are the ones already exchanged.
	CurrentHash    string    `json:"current_hash"`
	UsedHashes     []string  `json:"used_hashes,omitempty"`
	Revoked        bool      `json:"revoked"`
	Generation     uint64    `json:"generation"`
	ExpirationTime time.Time `json:"expiration_time"`
	CreateTime     time.Time `json:"create_time"`
	CreateIndex    uint64    `json:"create_index"`
	ModifyIndex    uint64    `json:"modify_index"`
}

// ACLSigningKey is a key the servers sign login JWTs with. The newest one
// signs; retired ones stay to verify the tokens they signed until those
// expire. PrivateKey is the Ed25519 seed; it never leaves Raft, snapshots
// and the servers' memory.
type ACLSigningKey struct {
	KeyID      string     `json:"key_id"`
	Algorithm  string     `json:"algorithm"`
	PrivateKey []byte     `json:"private_key,omitempty"`
	PublicKey  []byte     `json:"public_key"`
	Active     bool       `json:"active"`
	CreateTime time.Time  `json:"create_time"`
	RetireTime *time.Time `json:"retire_time,omitempty"`
	// ExpireTime: after it, no token it signed can still be valid, and the
	// key is dropped at the next rotation.
	ExpireTime  *time.Time `json:"expire_time,omitempty"`
	CreateIndex uint64     `json:"create_index"`
	ModifyIndex uint64     `json:"modify_index"`
}

// Sanitize returns a copy without the private key.
func (k *ACLSigningKey) Sanitize() *ACLSigningKey {
	c := *k
	c.PrivateKey = nil
	return &c
}

// Auth method types.
const AuthMethodTypeJWT = "jwt"

// ACLAuthMethod trusts an outside identity provider: its JWTs, verified
// with Config, are exchanged for appmesh tokens by binding rules.
type ACLAuthMethod struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
	// MaxTokenTTL is the life of the tokens a login with this method
	// creates (default 1h).
	MaxTokenTTL Duration       `json:"max_token_ttl,omitempty"`
	Config      *JWTAuthConfig `json:"config"`
	CreateIndex uint64         `json:"create_index"`
	ModifyIndex uint64         `json:"modify_index"`
}

// JWTAuthConfig says which outside JWTs a JWT auth method accepts and
// what of their claims binding rules see.
type JWTAuthConfig struct {
	// JWTValidationPubKeys are PEM public keys (RSA, ECDSA or Ed25519).
	JWTValidationPubKeys []string `json:"jwt_validation_pub_keys,omitempty"`
	// JWKS is a JSON Web Key Set document (the CLI reads it from
	// jwks_file). Keys are chosen by the token's kid.
	JWKS string `json:"jwks,omitempty"`
	// BoundIssuer, when set, must equal the token's iss.
	BoundIssuer string `json:"bound_issuer,omitempty"`
	// BoundAudiences, when set, must include one of the token's aud.
	BoundAudiences []string `json:"bound_audiences,omitempty"`
	// SigningAlgs are the algorithms accepted (default RS256, ES256, EdDSA).
	SigningAlgs []string `json:"signing_algs,omitempty"`
	// ClaimMappings map a claim (a top-level name, or a path a.b) to a
	// name binding rules see as value.<name>; ListClaimMappings likewise
	// to list.<name> for claims that are lists.
	ClaimMappings     map[string]string `json:"claim_mappings,omitempty"`
	ListClaimMappings map[string]string `json:"list_claim_mappings,omitempty"`
	// ClockSkewLeeway is allowed on exp, nbf and iat.
	ClockSkewLeeway Duration `json:"clock_skew_leeway,omitempty"`
}

// Binding rule bind types.
const (
	BindTypeRole       = "role"
	BindTypePolicy     = "policy"
	BindTypeManagement = "management"
)

// ACLBindingRule grants a role, a policy or management to logins through
// an auth method whose mapped claims match Selector.
type ACLBindingRule struct {
	ID          string `json:"id"`
	Description string `json:"description,omitempty"`
	AuthMethod  string `json:"auth_method"`
	// Selector is empty (every login) or clauses joined by "and":
	// value.NAME == "x", value.NAME != "x", "x" in list.NAME.
	Selector string `json:"selector,omitempty"`
	BindType string `json:"bind_type"`
	// BindName names the role or policy; ${value.NAME} is replaced by the
	// mapped claim. Empty for management.
	BindName    string `json:"bind_name,omitempty"`
	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
}

// --- Raft entries ---

// ACLUserUpsertEntry writes users and login sessions together (a login
// resets its user's failure count and starts a session in one entry).
// Sessions expired before Now are dropped in the same write.
type ACLUserUpsertEntry struct {
	Users    []*ACLUser         `json:"users,omitempty"`
	Sessions []*ACLLoginSession `json:"sessions,omitempty"`
	Now      time.Time          `json:"now"`
}

type ACLUserDeleteEntry struct {
	Names []string `json:"names"`
}

// ACLSigningKeysEntry upserts keys and drops the ones named in Delete.
type ACLSigningKeysEntry struct {
	Keys   []*ACLSigningKey `json:"keys,omitempty"`
	Delete []string         `json:"delete,omitempty"`
}

type ACLAuthMethodUpsertEntry struct {
	Methods []*ACLAuthMethod `json:"methods"`
}

type ACLAuthMethodDeleteEntry struct {
	Names []string `json:"names"`
}

type ACLBindingRuleUpsertEntry struct {
	Rules []*ACLBindingRule `json:"rules"`
}

type ACLBindingRuleDeleteEntry struct {
	IDs []string `json:"ids"`
}

// --- RPC arguments and answers ---

// ACLLoginRequest logs in with a user's name, password and TOTP code, or
// (AuthMethod set) exchanges an outside JWT.
type ACLLoginRequest struct {
	Username   string `json:"username,omitempty"`
	Password   string `json:"password,omitempty"`
	TOTP       string `json:"totp,omitempty"`
	AuthMethod string `json:"auth_method,omitempty"`
	JWT        string `json:"jwt,omitempty"`
	WriteRequest
}

// ACLLoginRefreshRequest exchanges a refresh token for a new JWT and a new
// refresh token.
type ACLLoginRefreshRequest struct {
	RefreshToken string `json:"refresh_token"`
	WriteRequest
}

// ACLSessionRequest acts on the login session of the request's own JWT
// (AuthToken): log out of it, or renew it.
type ACLSessionRequest struct {
	WriteRequest
}

// ACLLoginResponse carries the token to send (a JWT for users, an ACL
// token secret for auth methods) and, for users, the refresh token.
type ACLLoginResponse struct {
	Token          string    `json:"token"`
	TokenType      string    `json:"token_type"` // "jwt" or "acl-token"
	ExpirationTime time.Time `json:"expiration_time"`
	RefreshToken   string    `json:"refresh_token,omitempty"`
	// RefreshExpirationTime ends the login session.
	RefreshExpirationTime *time.Time `json:"refresh_expiration_time,omitempty"`
	User                  string     `json:"user,omitempty"`
	AccessorID            string     `json:"accessor_id,omitempty"`
	Roles                 []string   `json:"roles,omitempty"`
	Policies              []string   `json:"policies,omitempty"`
	Management            bool       `json:"management,omitempty"`
	WriteMeta
}

// ACLUserUpsertRequest creates or updates a user. Password, when set, is
// hashed by the server; it is required on create.
type ACLUserUpsertRequest struct {
	User     *ACLUser `json:"user"`
	Password string   `json:"password,omitempty"`
	// Create refuses to overwrite an existing user.
	Create bool `json:"create,omitempty"`
	WriteRequest
}

type ACLUserResponse struct {
	User *ACLUser `json:"user"`
	QueryMeta
}

type ACLUserListResponse struct {
	Users []*ACLUser `json:"users"`
	QueryMeta
}

// ACLUserPasswordRequest sets a user's password. A management token may
// set anyone's; a user's own JWT needs the current password too.
type ACLUserPasswordRequest struct {
	Name            string `json:"name"`
	Password        string `json:"password"`
	CurrentPassword string `json:"current_password,omitempty"`
	WriteRequest
}

type ACLUserLockRequest struct {
	Name   string `json:"name"`
	Locked bool   `json:"locked"`
	WriteRequest
}

// ACLTOTPRequest names the user of a TOTP step; Code confirms enrolment.
type ACLTOTPRequest struct {
	Name string `json:"name"`
	Code string `json:"code,omitempty"`
	WriteRequest
}

// ACLTOTPEnrollResponse carries what an authenticator app needs, once:
// the otpauth URI, its secret, and the QR code of the URI as a PNG.
type ACLTOTPEnrollResponse struct {
	URI    string `json:"uri"`
	Secret string `json:"secret"`
	QRPNG  []byte `json:"qr_png"`
	WriteMeta
}

type ACLSigningKeysResponse struct {
	Keys []*ACLSigningKey `json:"keys"`
	QueryMeta
}

// JWK is one public key of a JSON Web Key Set.
type JWK struct {
	KeyType   string `json:"kty"`
	Curve     string `json:"crv,omitempty"`
	X         string `json:"x,omitempty"`
	Y         string `json:"y,omitempty"`
	N         string `json:"n,omitempty"`
	E         string `json:"e,omitempty"`
	KeyID     string `json:"kid,omitempty"`
	Use       string `json:"use,omitempty"`
	Algorithm string `json:"alg,omitempty"`
}

// JWKS is a JSON Web Key Set.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

type ACLPublicKeysResponse struct {
	JWKS JWKS `json:"jwks"`
	QueryMeta
}

type ACLAuthMethodUpsertRequest struct {
	Method *ACLAuthMethod `json:"method"`
	WriteRequest
}

type ACLAuthMethodResponse struct {
	Method *ACLAuthMethod `json:"method"`
	QueryMeta
}

type ACLAuthMethodListResponse struct {
	Methods []*ACLAuthMethod `json:"methods"`
	QueryMeta
}

type ACLBindingRuleUpsertRequest struct {
	Rule *ACLBindingRule `json:"rule"`
	WriteRequest
}

type ACLBindingRuleResponse struct {
	Rule *ACLBindingRule `json:"rule"`
	QueryMeta
}

type ACLBindingRuleListResponse struct {
	Rules []*ACLBindingRule `json:"rules"`
	QueryMeta
}
