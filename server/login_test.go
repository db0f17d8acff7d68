package server

import (
	"crypto/ed25519"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/golang-jwt/jwt/v5"
	"github.com/hashicorp/go-hclog"
	"github.com/pquerna/otp/totp"
)

const testPassword = "correct horse battery"

// loginServer starts a server with ACLs on and returns it with the
// bootstrap management secret and a user "alice" holding a policy that
// reads nodes.
func loginServer(t *testing.T, mut func(*Config)) (*Server, string) {
	t.Helper()
	s := testServer(t, func(c *Config) {
		c.ACLEnabled = true
		if mut != nil {
			mut(c)
		}
	})
	mgmt, err := bootstrap(t, s, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := &structs.ACLPolicyUpsertRequest{Policies: []*structs.ACLPolicy{{Name: "node-read", Rules: `node { policy = "read" }`}}}
	p.AuthToken = mgmt.SecretID
	if err := s.RPC(structs.ACLUpsertPoliciesRPC, p, &structs.GenericResponse{}); err != nil {
		t.Fatal(err)
	}
	createUser(t, s, mgmt.SecretID, "alice", testPassword)
	return s, mgmt.SecretID
}

func createUser(t *testing.T, s *Server, mgmt, name, pw string) {
	t.Helper()
	args := &structs.ACLUserUpsertRequest{User: &structs.ACLUser{Name: name, Policies: []string{"node-read"}}, Password: pw, Create: true}
	args.AuthToken = mgmt
	if err := s.RPC(structs.ACLUpsertUserRPC, args, &structs.ACLUserResponse{}); err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
}

func login(s *Server, user, pw, code string) (*structs.ACLLoginResponse, error) {
	var out structs.ACLLoginResponse
	err := s.RPC(structs.ACLLoginRPC, &structs.ACLLoginRequest{Username: user, Password: pw, TOTP: code}, &out)
	return &out, err
}

func refresh(s *Server, tok string) (*structs.ACLLoginResponse, error) {
	var out structs.ACLLoginResponse
	err := s.RPC(structs.ACLLoginRefreshRPC, &structs.ACLLoginRefreshRequest{RefreshToken: tok}, &out)
	return &out, err
}

// listNodes calls an RPC that needs node read with token.
func listNodes(s *Server, token string) error {
	args := &structs.NodeListRequest{}
	args.AuthToken = token
	return s.RPC(structs.NodeListRPC, args, &structs.NodeListResponse{})
}

func wantRefused(t *testing.T, what string, err error, contains string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), "Permission denied") || !strings.Contains(err.Error(), contains) {
		t.Errorf("%s: err = %v, want Permission denied ... %q", what, err, contains)
	}
}

// TestLogin_JWTResolvesToTheUsersPolicies: a login JWT works wherever a
// token does, with the user's policies and no more; the stored user holds
// an argon2id hash, never the password, and answers show neither.
func TestLogin_JWTResolvesToTheUsersPolicies(t *testing.T) {
	s, mgmt := loginServer(t, nil)
	out, err := login(s, "alice", testPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	if out.TokenType != "jwt" || out.RefreshToken == "" || !looksLikeJWT(out.Token) {
		t.Fatalf("login answer: %+v", out)
	}
	if err := listNodes(s, out.Token); err != nil {
		t.Fatalf("the JWT cannot read nodes: %v", err)
	}
	reg := &structs.JobRegisterRequest{Job: testJob("web", 1, 64)}
	reg.AuthToken = out.Token
	wantRefused(t, "submitting a job with a node-read JWT", s.RPC(structs.JobRegisterRPC, reg, &structs.JobRegisterResponse{}), "submit-job")
	self := &structs.GenericRequest{}
	self.AuthToken = out.Token
	var me structs.ACLTokenGetResponse
	if err := s.RPC(structs.ACLTokenSelfRPC, self, &me); err != nil || me.Token.AccessorID != "user:alice" {
		t.Fatalf("token self with the JWT: %+v, %v", me.Token, err)
	}
	stored, _ := s.State().ACLUserByName(nil, "alice")
	if !strings.HasPrefix(stored.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(stored.PasswordHash, testPassword) {
		t.Fatalf("stored hash %q is not an argon2id hash with its parameters", stored.PasswordHash)
	}
	get := &structs.ACLSpecificRequest{Name: "alice"}
	get.AuthToken = mgmt
	var info structs.ACLUserResponse
	if err := s.RPC(structs.ACLGetUserRPC, get, &info); err != nil || info.User.PasswordHash != "" {
		t.Fatalf("user info shows the hash or fails: %+v %v", info.User, err)
	}
	// The JWKS names the key that signed the token.
	var keys structs.ACLPublicKeysResponse
	if err := s.RPC(structs.ACLPublicKeysRPC, &structs.GenericRequest{}, &keys); err != nil || len(keys.JWKS.Keys) != 1 {
		t.Fatalf("JWKS: %+v %v", keys.JWKS, err)
	}
	tok, _, _ := jwt.NewParser().ParseUnverified(out.Token, jwt.MapClaims{})
	if tok.Header["kid"] != keys.JWKS.Keys[0].KeyID || tok.Header["alg"] != "EdDSA" {
		t.Fatalf("token header %v does not match the JWKS %+v", tok.Header, keys.JWKS.Keys[0])
	}
}

// signWith signs claims with the cluster's active key, as a forger holding
// that key (or a server) would: only the claims then decide.
func signWith(t *testing.T, s *Server, claims jwt.Claims, kid string) string {
	t.Helper()
	keys, _ := s.State().ACLSigningKeys(nil)
	for _, k := range keys {
		if k.Active {
			tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
			if kid == "" {
				kid = k.KeyID
			}
			tok.Header["kid"] = kid
			out, err := tok.SignedString(ed25519.NewKeyFromSeed(k.PrivateKey))
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
	}
	t.Fatal("no active signing key")
	return ""
}

// TestLogin_ForgedJWTsAreRefused: every forgery of the list, and
// revocation by password change, lock and delete.
func TestLogin_ForgedJWTsAreRefused(t *testing.T) {
	s, mgmt := loginServer(t, nil)
	out, err := login(s, "alice", testPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	var good userClaims
	if _, _, err := jwt.NewParser().ParseUnverified(out.Token, &good); err != nil {
		t.Fatal(err)
	}
	withClaims := func(mut func(c *userClaims)) jwt.Claims {
		c := good
		c.RegisteredClaims.Audience = append(jwt.ClaimStrings(nil), good.Audience...)
		mut(&c)
		return c
	}
	keys, _ := s.State().ACLSigningKeys(nil)
	pub := keys[0].PublicKey
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, good)
	hs.Header["kid"] = keys[0].KeyID
	hsToken, _ := hs.SignedString(pub) // the public key as an HMAC secret
	none := jwt.NewWithClaims(jwt.SigningMethodNone, good)
	none.Header["kid"] = keys[0].KeyID
	noneToken, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	foreign := jwt.NewWithClaims(jwt.SigningMethodEdDSA, good)
	foreign.Header["kid"] = keys[0].KeyID
	foreignToken, _ := foreign.SignedString(otherPriv)

	past := time.Now().Add(-time.Hour)
	cases := map[string]struct{ token, want string }{
		"expired": {signWith(t, s, withClaims(func(c *userClaims) {
			c.ExpiresAt, c.IssuedAt, c.NotBefore = jwt.NewNumericDate(past), jwt.NewNumericDate(past.Add(-time.Minute)), nil
		}), ""), "expired"},
		"alg none":               {noneToken, "bad signature or algorithm"},
		"HS256 with the pub key": {hsToken, "bad signature or algorithm"},
		"another key":            {foreignToken, "bad signature"},
		"wrong issuer":           {signWith(t, s, withClaims(func(c *userClaims) { c.Issuer = "evil" }), ""), "wrong issuer"},
		"wrong audience":         {signWith(t, s, withClaims(func(c *userClaims) { c.Audience = jwt.ClaimStrings{"other"} }), ""), "wrong audience"},
		"unknown kid":            {signWith(t, s, good, structs.GenerateID()), "unknown key"},
		"no expiry":              {signWith(t, s, withClaims(func(c *userClaims) { c.ExpiresAt = nil }), ""), "required claim"},
		"another session":        {signWith(t, s, withClaims(func(c *userClaims) { c.SessionID = structs.GenerateID() }), ""), "session ended"},
		"tampered":               {out.Token[:strings.LastIndex(out.Token, ".")] + "." + strings.Repeat("A", 86), "bad signature"},
	}
	for name, c := range cases {
		wantRefused(t, name, listNodes(s, c.token), c.want)
	}
	if err := listNodes(s, out.Token); err != nil {
		t.Fatalf("the genuine token stopped working: %v", err)
	}

	// A password change revokes the user's tokens and refresh tokens.
	pw := &structs.ACLUserPasswordRequest{Name: "alice", Password: "a new password!"}
	pw.AuthToken = mgmt
	if err := s.RPC(structs.ACLSetUserPasswordRPC, pw, &structs.ACLUserResponse{}); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, "JWT after a password change", listNodes(s, out.Token), "revoked")
	_, err = refresh(s, out.RefreshToken)
	wantRefused(t, "refresh after a password change", err, "ended")

	// So does a lock; and a deleted user's tokens end with it.
	out2, err := login(s, "alice", "a new password!", "")
	if err != nil {
		t.Fatal(err)
	}
	lock := &structs.ACLUserLockRequest{Name: "alice", Locked: true}
	lock.AuthToken = mgmt
	if err := s.RPC(structs.ACLSetUserLockRPC, lock, &structs.ACLUserResponse{}); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, "JWT of a locked user", listNodes(s, out2.Token), "locked")
	_, err = login(s, "alice", "a new password!", "")
	wantRefused(t, "login of a locked user", err, "locked by an operator")
	lock.Locked = false
	if err := s.RPC(structs.ACLSetUserLockRPC, lock, &structs.ACLUserResponse{}); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, "JWT of before the lock, after unlock", listNodes(s, out2.Token), "revoked")
	out3, err := login(s, "alice", "a new password!", "")
	if err != nil {
		t.Fatal(err)
	}
	del := &structs.ACLNamesRequest{Names: []string{"alice"}}
	del.AuthToken = mgmt
	if err := s.RPC(structs.ACLDeleteUserRPC, del, &structs.GenericResponse{}); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, "JWT of a deleted user", listNodes(s, out3.Token), "does not exist")
	createUser(t, s, mgmt, "alice", testPassword)
	wantRefused(t, "JWT of a deleted user, name reused", listNodes(s, out3.Token), "refused")
}

// TestLogin_RefreshTokensWorkOnce: a refresh gives a new JWT and refresh
// token; presenting a used one is refused and revokes the whole session,
// its newer refresh token and its JWTs included.
func TestLogin_RefreshTokensWorkOnce(t *testing.T) {
	s, _ := loginServer(t, nil)
	first, err := login(s, "alice", testPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	second, err := refresh(s, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if second.RefreshToken == first.RefreshToken || second.Token == first.Token {
		t.Fatal("a refresh returned the same tokens")
	}
	if err := listNodes(s, second.Token); err != nil {
		t.Fatalf("refreshed JWT: %v", err)
	}
	_, err = refresh(s, first.RefreshToken)
	wantRefused(t, "reused refresh token", err, "already used")
	_, err = refresh(s, second.RefreshToken)
	wantRefused(t, "the session's newer refresh token after a reuse", err, "revoked")
	wantRefused(t, "the session's JWT after a reuse", listNodes(s, second.Token), "revoked")
	_, err = refresh(s, "not-a-refresh-token")
	wantRefused(t, "unknown refresh token", err, "not found")
	// Another login is a new session, untouched.
	if _, err := login(s, "alice", testPassword, ""); err != nil {
		t.Fatalf("a new login after a revoked session: %v", err)
	}
}

// TestLogin_LockoutGrows: five wrong passwords lock the user (even the
// right password is refused), and the next lockout lasts twice as long.
func TestLogin_LockoutGrows(t *testing.T) {
	base := 2 * time.Second
	s, _ := loginServer(t, func(c *Config) { c.Login.LockoutBase = base })
	for round, want := range []time.Duration{base, 2 * base} {
		for i := 0; i < 5; i++ {
			_, err := login(s, "alice", "wrong password", "")
			wantRefused(t, "wrong password", err, "invalid username or password")
		}
		_, err := login(s, "alice", testPassword, "")
		wantRefused(t, "right password while locked out", err, "locked after repeated failed logins")
		u, _ := s.State().ACLUserByName(nil, "alice")
		if u.LockoutDuration.Std() != want || u.LockedUntil == nil {
			t.Fatalf("lockout %d lasts %s (until %v), want %s", round+1, u.LockoutDuration.Std(), u.LockedUntil, want)
		}
		waitFor(t, "the lockout to end", func() bool { return !u.IsLockedOut(time.Now()) })
	}
	if _, err := login(s, "alice", testPassword, ""); err != nil {
		t.Fatalf("login after the lockout ended: %v", err)
	}
	if u, _ := s.State().ACLUserByName(nil, "alice"); u.Lockouts != 0 || u.FailedLogins != 0 {
		t.Fatalf("a good login did not reset the counters: %+v", u.Sanitize())
	}
	// An unknown user answers like a wrong password.
	_, err := login(s, "nobody", testPassword, "")
	wantRefused(t, "unknown user", err, "invalid username or password")
}

// TestLogin_TOTP: after enrolment a code is needed; codes of a past window
// and replays are refused, and a wrong code counts as a failure.
func TestLogin_TOTP(t *testing.T) {
	s, mgmt := loginServer(t, nil)
	clock := time.Now()
	s.login.totpClock = func() time.Time { return clock }
	enroll := &structs.ACLTOTPRequest{Name: "alice"}
	enroll.AuthToken = mgmt
	var key structs.ACLTOTPEnrollResponse
	if err := s.RPC(structs.ACLTOTPEnrollRPC, enroll, &key); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key.URI, "otpauth://totp/appmesh:alice?") || len(key.QRPNG) < 100 || string(key.QRPNG[1:4]) != "PNG" {
		t.Fatalf("enrolment answer: uri %q, %d bytes of QR", key.URI, len(key.QRPNG))
	}
	code := func(at time.Time) string {
		c, err := totp.GenerateCodeCustom(key.Secret, at, totpOpts)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Pending: logins need no code yet.
	if _, err := login(s, "alice", testPassword, ""); err != nil {
		t.Fatalf("login during a pending enrolment: %v", err)
	}
	confirm := &structs.ACLTOTPRequest{Name: "alice", Code: "000000"}
	confirm.AuthToken = mgmt
	if code(clock) == "000000" {
		confirm.Code = "000001"
	}
	if err := s.RPC(structs.ACLTOTPConfirmRPC, confirm, &structs.ACLUserResponse{}); err == nil || !strings.Contains(err.Error(), "wrong or expired TOTP code") {
		t.Fatalf("confirm with a wrong code: %v", err)
	}
	confirm.Code = code(clock)
	if err := s.RPC(structs.ACLTOTPConfirmRPC, confirm, &structs.ACLUserResponse{}); err != nil {
		t.Fatal(err)
	}
	_, err := login(s, "alice", testPassword, "")
	wantRefused(t, "login without a code", err, "needs a TOTP code")
	_, err = login(s, "alice", testPassword, code(clock))
	wantRefused(t, "the confirmation code again", err, "already used")

	clock = clock.Add(90 * time.Second) // three steps on
	_, err = login(s, "alice", testPassword, code(clock.Add(-60*time.Second)))
	wantRefused(t, "a code of a past window", err, "wrong or expired")
	now := code(clock)
	if _, err := login(s, "alice", testPassword, now); err != nil {
		t.Fatalf("login with the current code: %v", err)
	}
	_, err = login(s, "alice", testPassword, now)
	wantRefused(t, "replay of a used code", err, "already used")
	_, err = login(s, "alice", testPassword, code(clock.Add(-30*time.Second)))
	wantRefused(t, "a code older than the last used one", err, "already used")
	if u, _ := s.State().ACLUserByName(nil, "alice"); u.FailedLogins != 2 {
		// The replay and the older code, after the good login reset the count.
		t.Fatalf("failed logins = %d, want 2 (wrong codes count as failures)", u.FailedLogins)
	}
	var info structs.ACLUserResponse
	get := &structs.ACLSpecificRequest{Name: "alice"}
	get.AuthToken = mgmt
	if err := s.RPC(structs.ACLGetUserRPC, get, &info); err != nil || info.User.TOTPSecret != "" || !info.User.TOTPEnabled {
		t.Fatalf("user info after enrolment: %+v %v", info.User, err)
	}
}

// TestLogin_UsersOwnTokenMayChangeOnlyItsOwnPassword: the self rule.
func TestLogin_UsersOwnTokenMayChangeOnlyItsOwnPassword(t *testing.T) {
	s, mgmt := loginServer(t, nil)
	createUser(t, s, mgmt, "bob", testPassword)
	out, err := login(s, "alice", testPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	pw := &structs.ACLUserPasswordRequest{Name: "bob", Password: "taken over!", CurrentPassword: testPassword}
	pw.AuthToken = out.Token
	wantRefused(t, "alice changing bob's password", s.RPC(structs.ACLSetUserPasswordRPC, pw, &structs.ACLUserResponse{}), "own login token")
	pw.Name, pw.CurrentPassword = "alice", "not it"
	wantRefused(t, "alice with a wrong current password", s.RPC(structs.ACLSetUserPasswordRPC, pw, &structs.ACLUserResponse{}), "current password")
	pw.CurrentPassword = testPassword
	if err := s.RPC(structs.ACLSetUserPasswordRPC, pw, &structs.ACLUserResponse{}); err != nil {
		t.Fatalf("alice changing her own password: %v", err)
	}
	if _, err := login(s, "alice", "taken over!", ""); err != nil {
		t.Fatal(err)
	}
	short := &structs.ACLUserUpsertRequest{User: &structs.ACLUser{Name: "carol", Policies: []string{"node-read"}}, Password: "short", Create: true}
	short.AuthToken = mgmt
	if err := s.RPC(structs.ACLUpsertUserRPC, short, &structs.ACLUserResponse{}); err == nil || !strings.Contains(err.Error(), "too short") {
		t.Fatalf("a short password: %v", err)
	}
}

// TestLogin_SigningKeyRotation: tokens of the old key stay valid after a
// rotation; new ones are signed by the new key; the JWKS lists both.
func TestLogin_SigningKeyRotation(t *testing.T) {
	s, mgmt := loginServer(t, nil)
	old, err := login(s, "alice", testPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	rot := &structs.GenericRequest{}
	rot.AuthToken = mgmt
	var rotated structs.ACLSigningKeysResponse
	if err := s.RPC(structs.ACLRotateSigningKeyRPC, rot, &rotated); err != nil {
		t.Fatal(err)
	}
	if len(rotated.Keys[0].PrivateKey) != 0 {
		t.Fatal("the rotation answer shows the private key")
	}
	fresh, err := login(s, "alice", testPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"old key": old.Token, "new key": fresh.Token} {
		if err := listNodes(s, tok); err != nil {
			t.Errorf("token of the %s: %v", name, err)
		}
	}
	parsed, _, _ := jwt.NewParser().ParseUnverified(fresh.Token, jwt.MapClaims{})
	if parsed.Header["kid"] != rotated.Keys[0].KeyID {
		t.Fatalf("new token kid %v, want the rotated key %s", parsed.Header["kid"], rotated.Keys[0].KeyID)
	}
	var keys structs.ACLPublicKeysResponse
	if err := s.RPC(structs.ACLPublicKeysRPC, &structs.GenericRequest{}, &keys); err != nil || len(keys.JWKS.Keys) != 2 {
		t.Fatalf("JWKS after a rotation: %+v %v", keys.JWKS, err)
	}
}

// lockedBuf is a log sink shared by the server's goroutines.
type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLogin_SecretsStayOutOfLogs: with every log level on, the logs of a
// login, a refresh, failed logins, a lockout and a TOTP enrolment hold no
// password, hash, JWT, refresh token or TOTP secret, but do say what
// happened.
func TestLogin_SecretsStayOutOfLogs(t *testing.T) {
	var logs lockedBuf
	s, mgmt := loginServer(t, func(c *Config) {
		c.Logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: &logs})
	})
	out, err := login(s, "alice", testPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	next, err := refresh(s, out.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = refresh(s, out.RefreshToken) // reuse
	for i := 0; i < 5; i++ {
		_, _ = login(s, "alice", "a wrong password", "")
	}
	enroll := &structs.ACLTOTPRequest{Name: "alice"}
	enroll.AuthToken = mgmt
	var key structs.ACLTOTPEnrollResponse
	if err := s.RPC(structs.ACLTOTPEnrollRPC, enroll, &key); err != nil {
		t.Fatal(err)
	}
	u, _ := s.State().ACLUserByName(nil, "alice")
	text := logs.String()
	for name, secret := range map[string]string{"password": testPassword, "wrong password": "a wrong password",
		"hash": u.PasswordHash, "JWT": out.Token, "refreshed JWT": next.Token, "refresh token": out.RefreshToken,
		"new refresh token": next.RefreshToken, "TOTP secret": key.Secret, "management token": mgmt} {
		if strings.Contains(text, secret) {
			t.Errorf("the logs contain the %s", name)
		}
	}
	for _, want := range []string{"user logged in", "login session revoked", "user locked after failed logins", "TOTP enrolment started"} {
		if !strings.Contains(text, want) {
			t.Errorf("the logs do not say %q", want)
		}
	}
}
