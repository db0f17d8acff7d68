package agent

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// App Mesh's REST API under /appmesh/ (website/appmesh-api.md): its
// login, applications, output and remote runs, mapped onto appmesh's
// users, jobs and runs. Every route has a door like /v1's; most are
// viaRPC because their handler only calls RPCs that check the token.
func (s *HTTPServer) registerAppMeshRoutes() {
	get, put, post, del := http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete
	lim := newLoginLimiter(loginBurst, loginPerSec)
	s.route("/appmesh/login", map[string]door{post: public(lim.limited(s.amErrors(s.amLogin)))})
	// auth and logoff answer only about the request's own token, which
	// their handler resolves (ACL.TokenSelf): no token or an invalid one is
	// a 401, as App Mesh answers; any valid token may ask about itself.
	s.route("/appmesh/auth", map[string]door{post: public(s.amErrors(s.amAuth))})
	s.route("/appmesh/self/logoff", map[string]door{post: public(s.amErrors(s.amLogoff))})
	s.registerAppMeshAuthRoutes(lim)
	s.registerAppMeshLabelRoutes()
	s.registerAppMeshUserRoutes()
	s.registerAppMeshFileRoutes()
	s.registerAppMeshHostRoutes()
	s.registerAppMeshConfigRoutes()
	s.registerAppMeshUnsupportedRoutes()
	s.route("/appmesh/applications", map[string]door{get: viaRPC(s.amErrors(s.amAppList))})
	// POST /appmesh/app/run and /appmesh/app/syncrun share the pattern
	// (the mux cannot hold both): amAppPost tells them apart.
	s.route("/appmesh/app/{name}", map[string]door{
		get: viaRPC(s.amErrors(s.amAppGet)), put: viaRPC(s.amErrors(s.amAppPut)), del: viaRPC(s.amErrors(s.amAppDelete)),
		post: viaRPC(s.amErrors(s.amAppPost))})
	s.route("/appmesh/app/{name}/enable", map[string]door{post: viaRPC(s.amErrors(s.amAppEnable(true)))})
	s.route("/appmesh/app/{name}/disable", map[string]door{post: viaRPC(s.amErrors(s.amAppEnable(false)))})
	s.route("/appmesh/app/{name}/health", map[string]door{get: viaRPC(s.amErrors(s.amAppHealth))})
	// Output reads task logs on this agent's client directly, not through
	// an RPC: the door checks read-logs itself, and read-job, which the
	// app's lookup needs (app-output-view).
	s.route("/appmesh/app/{name}/output", map[string]door{get: inNamespaceAnd(capReadLogs, capReadJob, s.amErrors(s.amAppOutput))})
}

// amErrors answers a handler's error as App Mesh does, {"message": "..."},
// with the status appmesh's own API would use. A request carrying App
// Mesh's X-Target-Host is passed on to that node's agent instead
// (http_appmesh_forward.go), unless it names this agent's own node or
// its answer is the same on every agent (amClusterWide).
func (s *HTTPServer) amErrors(fn endpoint) endpoint {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		var out any
		var err error
		if target := r.Header.Get(amTargetHeader); target != "" && !amClusterWide(r.URL.Path) {
			node, self, terr := s.amTargetNode(r, target)
			switch {
			case terr != nil:
				err = terr
			case !self:
				s.amForward(w, r, node)
				return nil, nil
			default:
				out, err = fn(w, r)
			}
		} else {
			out, err = fn(w, r)
		}
		if err == nil {
			return out, nil
		}
		code := statusFor(err)
		if code >= http.StatusInternalServerError && code != http.StatusNotImplemented { // 501: a known gap, not a fault
			s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		}
		msg := strings.TrimPrefix(err.Error(), "invalid: ")
		writeJSON(w, code, map[string]string{"message": msg})
		return nil, nil
	}
}

// amTOTPAuthenticate is the WWW-Authenticate of a TOTP challenge.
const amTOTPAuthenticate = `TOTP realm="appmesh"`

// amAudience is the only JWT audience appmesh's login tokens serve.
const amAudience = "appmesh-service"

// POST /appmesh/login with Authorization: Basic base64(user:password) and
// optionally X-Totp-Code, X-Expire-Seconds, X-Audience. The token is
// appmesh's login JWT; its lifetime is the servers' (acl login jwt_ttl),
// reported in expires_in and expire_time, whatever X-Expire-Seconds asked.
func (s *HTTPServer) amLogin(w http.ResponseWriter, r *http.Request) (any, error) {
	user, pass, ok := r.BasicAuth()
	if !ok || user == "" {
		return nil, &httpError{code: http.StatusUnauthorized,
			msg: "login needs the header Authorization: Basic base64(user:password)"}
	}
	if err := amLoginHeaders(r); err != nil {
		return nil, err
	}
	args := structs.ACLLoginRequest{Username: user, Password: pass, TOTP: r.Header.Get("X-Totp-Code")}
	var out structs.ACLLoginResponse
	if err := s.rpc(r, structs.ACLLoginRPC, &args, &out); err != nil {
		if strings.Contains(err.Error(), "needs a TOTP code") {
			// The servers checked the password before asking for a code.
			return s.amTOTPChallenge(w, user, pass), nil
		}
		if statusFor(err) == http.StatusForbidden {
			// App Mesh answers bad credentials with 401.
			return nil, &httpError{code: http.StatusUnauthorized, msg: err.Error()}
		}
		return nil, err
	}
	if err := amSetCookie(w, r, out.Token, out.ExpirationTime); err != nil {
		return nil, err
	}
	return amTokenResponse(out.User, out.Token, out.ExpirationTime), nil
}

// amLoginHeaders refuses the login options appmesh cannot honour.
func amLoginHeaders(r *http.Request) error {
	if v := r.Header.Get("X-Expire-Seconds"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err != nil || n <= 0 {
			return badRequest("X-Expire-Seconds %q: must be a positive number of seconds", v)
		}
	}
	if v := r.Header.Get("X-Audience"); v != "" && v != amAudience {
		return badRequest("X-Audience %q: appmesh tokens are only issued for %q", v, amAudience)
	}
	return nil
}

// amTOTPChallenge is App Mesh's 428 for a user with TOTP enrolled who sent
// no X-Totp-Code: the challenge is answered at /appmesh/totp/validate on
// this agent within amChallengeTTL, or by logging in again with
// X-Totp-Code.
func (s *HTTPServer) amTOTPChallenge(w http.ResponseWriter, user, pass string) any {
	id, exp := s.amChallenges.add(user, pass, time.Now())
	w.Header().Set("WWW-Authenticate", amTOTPAuthenticate)
	writeJSON(w, http.StatusPreconditionRequired, map[string]any{
		// App Mesh's description also puts the WWW-Authenticate value in
		// the body.
		"WWW-Authenticate": amTOTPAuthenticate,
		"totp_challenge":   id, "status": "TOTP_CHALLENGE_REQUIRED",
		"algorithm": "SHA1", "digits": 6, "period": 30, "expires": exp.Unix(),
		"message": "this user needs a TOTP code: POST /appmesh/totp/validate, or log in again with the header X-Totp-Code",
	})
	return nil
}

func amTokenResponse(user, token string, exp time.Time) map[string]any {
	now := time.Now()
	left := int64(time.Until(exp).Seconds())
	return map[string]any{
		"profile":      map[string]any{"name": user, "auth_time": now.Unix()},
		"access_token": token, "token_type": "Bearer",
		// expire_seconds is the OpenAPI description's name of the lifetime;
		// expires_in (OAuth's) is kept for the clients that read it.
		"issued_at": now.Unix(), "expire_time": exp.Unix(), "expires_in": left, "expire_seconds": left,
	}
}

// POST /appmesh/auth checks the request's token (Authorization: Bearer)
// and answers it back with its owner and expiry.
func (s *HTTPServer) amAuth(w http.ResponseWriter, r *http.Request) (any, error) {
	if v := r.Header.Get("X-Audience"); v != "" && v != amAudience {
		return nil, badRequest("X-Audience %q: appmesh tokens are only issued for %q", v, amAudience)
	}
	tok, err := s.amTokenSelf(r)
	if err != nil {
		return nil, err
	}
	if err := s.amCheckPermission(r, r.Header.Get("X-Permission")); err != nil {
		return nil, err
	}
	exp := time.Time{}
	if tok.ExpirationTime != nil {
		exp = *tok.ExpirationTime
	}
	if err := amSetCookie(w, r, authToken(r), exp); err != nil {
		return nil, err
	}
	resp := amTokenResponse(tok.Name, authToken(r), exp)
	if exp.IsZero() {
		resp["expire_time"], resp["expires_in"], resp["expire_seconds"] = nil, nil, nil
	}
	// App Mesh's answer to auth: success, user, permission, audience.
	resp["success"], resp["user"], resp["permission"], resp["audience"] = true, tok.Name, r.Header.Get("X-Permission"), amAudience
	return resp, nil
}

func (s *HTTPServer) amTokenSelf(r *http.Request) (*structs.ACLToken, error) {
	var out structs.ACLTokenGetResponse
	if err := s.rpc(r, structs.ACLTokenSelfRPC, &structs.GenericRequest{}, &out); err != nil {
		if statusFor(err) == http.StatusForbidden {
			return nil, &httpError{code: http.StatusUnauthorized, msg: err.Error()}
		}
		return nil, err
	}
	if out.Token == nil {
		return nil, &httpError{code: http.StatusUnauthorized, msg: "the request carries no valid token"}
	}
	return out.Token, nil
}
