package agent

import (
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// amChallengeTTL is how long a TOTP challenge can be answered.
const amChallengeTTL = time.Minute

// amMaxChallenges bounds the pending challenges: past it the oldest goes.
const amMaxChallenges = 1024

// amChallengeStore keeps App Mesh's pending TOTP challenges: a login whose
// password the servers accepted but which still needs a code. The servers
// have no half-done login, so the agent keeps the credentials in memory
// for amChallengeTTL and logs in again with them and the code; a
// challenge works once, on the agent that issued it, is dropped when it
// expires (a timer, so no password outlives its minute in memory) and is
// never written anywhere.
type amChallengeStore struct {
	mu      sync.Mutex
	pending map[string]amChallenge
}

type amChallenge struct {
	user, pass string
	expires    time.Time
}

func newAMChallengeStore() *amChallengeStore {
	return &amChallengeStore{pending: map[string]amChallenge{}}
}

func (c *amChallengeStore) add(user, pass string, now time.Time) (string, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var oldest string
	for id, ch := range c.pending {
		if !now.Before(ch.expires) {
			delete(c.pending, id)
		} else if oldest == "" || ch.expires.Before(c.pending[oldest].expires) {
			oldest = id
		}
	}
	if len(c.pending) >= amMaxChallenges {
		delete(c.pending, oldest)
	}
	id := structs.GenerateID()
	exp := now.Add(amChallengeTTL)
	c.pending[id] = amChallenge{user: user, pass: pass, expires: exp}
	time.AfterFunc(amChallengeTTL, func() { c.drop(id) })
	return id, exp
}

func (c *amChallengeStore) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, id)
}

// take removes and returns the challenge id of user, if it is still valid.
func (c *amChallengeStore) take(id, user string, now time.Time) (amChallenge, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.pending[id]
	if !ok || ch.user != user {
		return amChallenge{}, false
	}
	delete(c.pending, id)
	return ch, now.Before(ch.expires)
}

// registerAppMeshAuthRoutes: logoff's siblings, token renew and TOTP.
// Renew and the caller's own TOTP enrolment are like auth and logoff: they
// act only on the request's own login, through RPCs that check its token
// (ACL.LoginRenew, ACL.TOTPEnroll/Confirm for the token's own user), and
// answer App Mesh's 401 when it has none. Validate is public like login and
// rate-limited with it. Disabling someone's TOTP is viaRPC (management).
func (s *HTTPServer) registerAppMeshAuthRoutes(lim *loginLimiter) {
	post := http.MethodPost
	s.amChallenges = newAMChallengeStore()
	s.route("/appmesh/token/renew", map[string]door{post: public(s.amErrors(s.amTokenRenew))})
	s.route("/appmesh/totp/secret", map[string]door{post: public(s.amErrors(s.amTOTPSecret))})
	s.route("/appmesh/totp/setup", map[string]door{post: public(s.amErrors(s.amTOTPSetup))})
	s.route("/appmesh/totp/validate", map[string]door{post: public(lim.limited(s.amErrors(s.amTOTPValidate)))})
	s.route("/appmesh/totp/{user}/disable", map[string]door{post: viaRPC(s.amErrors(s.amTOTPDisable))})
}

// amUnauthorized turns the servers' refusal of the caller's own token into
// App Mesh's 401.
func amUnauthorized(err error) error {
	if statusFor(err) == http.StatusForbidden {
		return &httpError{code: http.StatusUnauthorized, msg: err.Error()}
	}
	return err
}

// POST /appmesh/self/logoff revokes the login session of the request's JWT
// (that token, and any renewed from the same login, stop working at once on
// every agent) and clears App Mesh's cookie.
func (s *HTTPServer) amLogoff(w http.ResponseWriter, r *http.Request) (any, error) {
	if authToken(r) == "" {
		return nil, &httpError{code: http.StatusUnauthorized, msg: "the request carries no token to log off"}
	}
	var out structs.GenericResponse
	if err := s.rpc(r, structs.ACLLogoutRPC, &structs.ACLSessionRequest{}, &out); err != nil {
		return nil, amUnauthorized(err)
	}
	amClearCookie(w, r)
	return map[string]string{"message": "logged off: the token is revoked"}, nil
}

// POST /appmesh/token/renew answers a new token for the request's JWT and
// revokes the old one, as App Mesh does.
func (s *HTTPServer) amTokenRenew(w http.ResponseWriter, r *http.Request) (any, error) {
	if err := amLoginHeaders(r); err != nil {
		return nil, err
	}
	if authToken(r) == "" {
		return nil, &httpError{code: http.StatusUnauthorized, msg: "the request carries no token to renew"}
	}
	return s.amRenew(w, r)
}

func (s *HTTPServer) amRenew(w http.ResponseWriter, r *http.Request) (any, error) {
	var out structs.ACLLoginResponse
	if err := s.rpc(r, structs.ACLLoginRenewRPC, &structs.ACLSessionRequest{}, &out); err != nil {
		return nil, amUnauthorized(err)
	}
	if err := amSetCookieRenewed(w, r, out.Token, out.ExpirationTime); err != nil {
		return nil, err
	}
	return amTokenResponse(out.User, out.Token, out.ExpirationTime), nil
}

// amSelfUser is the user whose login JWT the request carries.
func (s *HTTPServer) amSelfUser(r *http.Request) (string, error) {
	tok, err := s.amTokenSelf(r)
	if err != nil {
		return "", err
	}
	name, ok := strings.CutPrefix(tok.AccessorID, structs.UserAccessorPrefix)
	if !ok {
		return "", badRequest("this needs a user's login token (POST /appmesh/login), not an ACL token")
	}
	return name, nil
}

// POST /appmesh/totp/secret starts the caller's TOTP enrolment and answers
// App Mesh's {"mfa_uri": base64(otpauth URI)}.
func (s *HTTPServer) amTOTPSecret(w http.ResponseWriter, r *http.Request) (any, error) {
	name, err := s.amSelfUser(r)
	if err != nil {
		return nil, err
	}
	var out structs.ACLTOTPEnrollResponse
	if err := s.rpc(r, structs.ACLTOTPEnrollRPC, &structs.ACLTOTPRequest{Name: name}, &out); err != nil {
		return nil, err
	}
	return map[string]string{"mfa_uri": base64.StdEncoding.EncodeToString([]byte(out.URI))}, nil
}

// POST /appmesh/totp/setup with X-Totp-Code confirms the enrolment and, as
// App Mesh does, answers a new token (the old one is revoked).
func (s *HTTPServer) amTOTPSetup(w http.ResponseWriter, r *http.Request) (any, error) {
	code := r.Header.Get("X-Totp-Code")
	if code == "" {
		return nil, badRequest("X-Totp-Code: the code from the authenticator app is required")
	}
	name, err := s.amSelfUser(r)
	if err != nil {
		return nil, err
	}
	var out structs.ACLUserResponse
	if err := s.rpc(r, structs.ACLTOTPConfirmRPC, &structs.ACLTOTPRequest{Name: name, Code: code}, &out); err != nil {
		return nil, err
	}
	return s.amRenew(w, r)
}

// amTOTPValidateBody is App Mesh's /appmesh/totp/validate body.
type amTOTPValidateBody struct {
	UserName      string `json:"user_name"`
	TOTPCode      string `json:"totp_code"`
	TOTPChallenge string `json:"totp_challenge"`
	// ExpireSeconds is accepted like login's X-Expire-Seconds: the token
	// lives as long as the servers' login JWTs.
	ExpireSeconds any `json:"expire_seconds"`
}

// POST /appmesh/totp/validate answers a login's 428 challenge with a code.
func (s *HTTPServer) amTOTPValidate(w http.ResponseWriter, r *http.Request) (any, error) {
	var body amTOTPValidateBody
	if err := decodeBody(w, r, &body); err != nil {
		return nil, err
	}
	if body.UserName == "" || body.TOTPCode == "" || body.TOTPChallenge == "" {
		return nil, badRequest("user_name, totp_code and totp_challenge are required")
	}
	ch, ok := s.amChallenges.take(body.TOTPChallenge, body.UserName, time.Now())
	if !ok {
		return nil, &httpError{code: http.StatusUnauthorized,
			msg: "totp_challenge unknown, used or expired (it works once, within a minute, on the agent that issued it): log in again"}
	}
	args := structs.ACLLoginRequest{Username: ch.user, Password: ch.pass, TOTP: body.TOTPCode}
	var out structs.ACLLoginResponse
	if err := s.rpc(r, structs.ACLLoginRPC, &args, &out); err != nil {
		return nil, amUnauthorized(err)
	}
	if err := amSetCookie(w, r, out.Token, out.ExpirationTime); err != nil {
		return nil, err
	}
	return amTokenResponse(out.User, out.Token, out.ExpirationTime), nil
}

// POST /appmesh/totp/{user}/disable turns TOTP off for a user ("self": the
// caller). appmesh lets only a management token do it, also for oneself:
// a stolen session must not be able to drop the second factor.
func (s *HTTPServer) amTOTPDisable(w http.ResponseWriter, r *http.Request) (any, error) {
	name := r.PathValue("user")
	if name == "self" {
		var err error
		if name, err = s.amSelfUser(r); err != nil {
			return nil, err
		}
	}
	var out structs.ACLUserResponse
	if err := s.rpc(r, structs.ACLTOTPDisableRPC, &structs.ACLTOTPRequest{Name: name}, &out); err != nil {
		return nil, err
	}
	return map[string]string{"message": "TOTP disabled for user " + name}, nil
}
