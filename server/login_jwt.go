package server

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/golang-jwt/jwt/v5"
)

// LoginConfig tunes users' login. Zero values take the defaults.
type LoginConfig struct {
	// TokenTTL is the life of a login JWT (default 15m).
	TokenTTL time.Duration
	// SessionTTL is the life of a login session, so of its refresh tokens
	// (default 24h).
	SessionTTL time.Duration
	// LockoutBase is the first lockout after MaxFailures wrong passwords
	// or codes; each next one lasts twice as long, up to LockoutMax
	// (defaults 1m and 24h).
	LockoutBase time.Duration
	LockoutMax  time.Duration
	MaxFailures int
	// ReapInterval is how often the leader deletes expired tokens,
	// sessions and signing keys (default 1m).
	ReapInterval time.Duration
	// RetiredKeyTTL is how long a rotated-out signing key keeps
	// verifying: at least TokenTTL, default the longest workload
	// identity ttl (24h), so identities it signed stay verifiable until
	// they expire (identity_sign.go).
	RetiredKeyTTL time.Duration
}

func (c LoginConfig) withDefaults() LoginConfig {
	if c.TokenTTL <= 0 {
		c.TokenTTL = 15 * time.Minute
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 24 * time.Hour
	}
	if c.LockoutBase <= 0 {
		c.LockoutBase = time.Minute
	}
	if c.LockoutMax <= 0 {
		c.LockoutMax = 24 * time.Hour
	}
	if c.MaxFailures <= 0 {
		c.MaxFailures = 5
	}
	if c.ReapInterval <= 0 {
		c.ReapInterval = time.Minute
	}
	if c.RetiredKeyTTL <= 0 {
		c.RetiredKeyTTL = structs.MaxIdentityTTL
	}
	if c.RetiredKeyTTL < c.TokenTTL {
		c.RetiredKeyTTL = c.TokenTTL
	}
	return c
}

// loginState is the leader's lock around users' read-modify-write: every
// login, refresh and user change runs on the leader under it, so two
// logins of one user cannot both count from the same failure count or both
// consume one refresh token.
type loginState struct {
	mu sync.Mutex
	// totpClock, when set (tests), replaces the clock TOTP codes are
	// checked against, so a test can step through code windows.
	totpClock func() time.Time
}

func (s *Server) totpTime() time.Time {
	if s.login.totpClock != nil {
		return s.login.totpClock()
	}
	return time.Now()
}

// The cluster's login JWTs name this issuer and audience.
const (
	loginIssuer   = "appmesh"
	loginAudience = "appmesh"
	jwtAlgorithm  = "EdDSA"
)

// userClaims are the claims of a login JWT. Roles and policies are the
// user's at login, for tools to read; the servers resolve the user's
// current ones, so a change applies at once.
type userClaims struct {
	jwt.RegisteredClaims
	Roles      []string `json:"roles,omitempty"`
	Policies   []string `json:"policies,omitempty"`
	Management bool     `json:"management,omitempty"`
	Generation uint64   `json:"gen"`
	SessionID  string   `json:"sid"`
}

// looksLikeJWT tells a JWT from an ACL token secret (a UUID) and a node
// credential: three base64url parts, the first a JSON object.
func looksLikeJWT(s string) bool {
	return strings.Count(s, ".") == 2 && strings.HasPrefix(s, "eyJ")
}

// activeSigningKey returns the key that signs new JWTs, creating the
// first one when there is none. Only the leader calls it, under login.mu.
func (s *Server) activeSigningKey() (*structs.ACLSigningKey, error) {
	keys, err := s.State().ACLSigningKeys(nil)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if k.Active {
			return k, nil
		}
	}
	if _, err := s.rotateSigningKey(); err != nil {
		return nil, err
	}
	keys, err = s.State().ACLSigningKeys(nil)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if k.Active {
			return k, nil
		}
	}
	return nil, errors.New("no active signing key after creating one")
}

// rotateSigningKey makes a new active key. The old active key is retired
// but kept until every token it signed has expired; keys past that are
// dropped in the same entry.
func (s *Server) rotateSigningKey() (*structs.ACLSigningKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	now := time.Now().UTC()
	key := &structs.ACLSigningKey{
		KeyID: structs.GenerateID(), Algorithm: jwtAlgorithm, PrivateKey: priv.Seed(), PublicKey: pub,
		Active: true, CreateTime: now,
	}
	entry := &structs.ACLSigningKeysEntry{Keys: []*structs.ACLSigningKey{key}}
	old, err := s.State().ACLSigningKeys(nil)
	if err != nil {
		return nil, err
	}
	ttl := s.loginConfig().RetiredKeyTTL
	for _, k := range old {
		switch {
		case k.Active:
			c := *k
			expire := now.Add(ttl)
			c.Active, c.RetireTime, c.ExpireTime = false, &now, &expire
			entry.Keys = append(entry.Keys, &c)
		case k.ExpireTime != nil && now.After(*k.ExpireTime):
			entry.Delete = append(entry.Delete, k.KeyID)
		}
	}
	if _, err := s.raftApply(structs.ACLSigningKeysRequestType, entry); err != nil {
		return nil, fmt.Errorf("store signing key: %w", err)
	}
	s.logger.Info("login signing key created", "key_id", key.KeyID)
	return key.Sanitize(), nil
}

func (s *Server) loginConfig() LoginConfig { return s.config.Login.withDefaults() }

// signUserJWT issues a login JWT for user under session sid.
func (s *Server) signUserJWT(u *structs.ACLUser, sid string, now time.Time) (string, time.Time, error) {
	key, err := s.activeSigningKey()
	if err != nil {
		return "", time.Time{}, err
	}
	exp := now.Add(s.loginConfig().TokenTTL)
	claims := userClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: loginIssuer, Subject: u.Name, Audience: jwt.ClaimStrings{loginAudience},
			ExpiresAt: jwt.NewNumericDate(exp), IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
			ID: structs.GenerateID(),
		},
		Roles: u.Roles, Policies: u.Policies, Management: u.Type == structs.ACLTokenTypeManagement,
		Generation: u.Generation, SessionID: sid,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = key.KeyID
	signed, err := tok.SignedString(ed25519.NewKeyFromSeed(key.PrivateKey))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign login token: %w", err)
	}
	return signed, exp, nil
}

// verifyUserJWT checks a login JWT's signature (EdDSA only, by a known
// kid), issuer, audience and times, then that its user and session still
// stand: not deleted, locked, revoked, or of another generation.
func (s *Server) verifyUserJWT(raw string) (*userClaims, *structs.ACLUser, error) {
	var claims userClaims
	_, err := jwt.ParseWithClaims(raw, &claims, s.jwtKey,
		jwt.WithValidMethods([]string{jwtAlgorithm}), jwt.WithIssuer(loginIssuer), jwt.WithAudience(loginAudience),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(5*time.Second))
	if err != nil {
		return nil, nil, fmt.Errorf("Permission denied: login token refused: %v", jwtReason(err))
	}
	u, sess, err := s.userAndSession(claims.Subject, claims.SessionID)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case u == nil:
		return nil, nil, fmt.Errorf("Permission denied: login token refused: user %q does not exist", claims.Subject)
	case u.Locked:
		return nil, nil, fmt.Errorf("Permission denied: login token refused: user %q is locked", u.Name)
	case u.Generation != claims.Generation:
		return nil, nil, fmt.Errorf("Permission denied: login token refused: it was revoked (password change or lock)")
	case sess == nil || sess.User != u.Name:
		return nil, nil, fmt.Errorf("Permission denied: login token refused: its login session ended")
	case sess.Revoked:
		return nil, nil, fmt.Errorf("Permission denied: login token refused: its login session was revoked")
	}
	return &claims, u, nil
}

// userAndSession reads a JWT's user and session. A follower that does not
// have them yet (a login that just happened on the leader) waits briefly.
func (s *Server) userAndSession(name, sid string) (*structs.ACLUser, *structs.ACLLoginSession, error) {
	deadline := time.Now().Add(tokenFreshnessWait)
	for {
		st := s.State()
		u, err := st.ACLUserByName(nil, name)
		if err != nil {
			return nil, nil, err
		}
		sess, err := st.LoginSessionByID(nil, sid)
		if err != nil {
			return nil, nil, err
		}
		if u != nil && sess != nil || s.IsLeader() || time.Now().After(deadline) || s.shutdownCtx.Err() != nil {
			return u, sess, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// jwtKey finds the public key named by a token's kid. A token without a
// kid, or with an unknown one, is refused.
func (s *Server) jwtKey(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	if kid == "" {
		return nil, errors.New("the token names no key (kid)")
	}
	deadline := time.Now().Add(tokenFreshnessWait)
	for {
		k, err := s.State().ACLSigningKeyByID(nil, kid)
		if err != nil {
			return nil, err
		}
		if k != nil {
			if k.Algorithm != jwtAlgorithm || len(k.PublicKey) != ed25519.PublicKeySize {
				return nil, fmt.Errorf("key %q is not an Ed25519 key", kid)
			}
			if k.ExpireTime != nil && time.Now().After(*k.ExpireTime) {
				return nil, fmt.Errorf("key %q was retired", kid)
			}
			return ed25519.PublicKey(k.PublicKey), nil
		}
		// A key just created on the leader may not have reached us.
		if s.IsLeader() || time.Now().After(deadline) || s.shutdownCtx.Err() != nil {
			return nil, fmt.Errorf("unknown key %q", kid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// jwtReason shortens the parser's errors to what an operator needs.
func jwtReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "not valid yet"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong audience"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "bad signature or algorithm"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "a required claim is missing"
	}
	return err.Error()
}

// publicJWKS lists the keys that verify login JWTs, newest first.
func publicJWKS(keys []*structs.ACLSigningKey, now time.Time) structs.JWKS {
	sort.Slice(keys, func(i, j int) bool { return keys[i].CreateTime.After(keys[j].CreateTime) })
	out := structs.JWKS{Keys: []structs.JWK{}}
	for _, k := range keys {
		if k.ExpireTime != nil && now.After(*k.ExpireTime) {
			continue
		}
		out.Keys = append(out.Keys, structs.JWK{
			KeyType: "OKP", Curve: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.PublicKey),
			KeyID: k.KeyID, Use: "sig", Algorithm: jwtAlgorithm,
		})
	}
	return out
}
