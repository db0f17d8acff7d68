package agent

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// amTokenKeys are the keys of App Mesh's token answer (login, renew,
// totp/setup, totp/validate).
var amTokenKeys = []string{"access_token", "token_type", "expire_time", "expires_in", "issued_at", "profile"}

func wantKeys(t *testing.T, what, body string, keys ...string) map[string]any {
	t.Helper()
	var m map[string]any
	decodeJSON(t, body, &m)
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: answer %s lacks key %q", what, body, k)
		}
	}
	return m
}

// nextTOTPCode waits for a time step no code was used in yet (appmesh
// accepts each code once) and returns its code.
func nextTOTPCode(t *testing.T, secret string, after time.Time) string {
	t.Helper()
	step := after.Unix()/30 + 1
	if d := time.Until(time.Unix(step*30, 0)); d > 0 {
		t.Logf("waiting %s for the next TOTP step", d.Round(time.Second))
		time.Sleep(d) // the TOTP clock, not a condition: codes change every 30s
	}
	code, err := totp.GenerateCodeCustom(secret, time.Now(),
		totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// TestAppMeshTokenTOTP drives App Mesh's token renew, TOTP enrolment
// (secret, setup), the 428 challenge answered at totp/validate, logoff and
// TOTP disable against a real agent with ACLs on, as App Mesh's SDKs call
// them: a renewed or logged-off token is refused afterwards.
func TestAppMeshTokenTOTP(t *testing.T) {
	a, mgmt := startACLAgent(t)
	dc := doorClient{t: t, base: "http://" + a.HTTPAddr()}
	dc.must("PUT", "/v1/acl/policy/reader", mgmt, `{"rules":"namespace \"default\" { policy = \"read\" }"}`)
	dc.must("PUT", "/v1/acl/user", mgmt, `{"name":"bob","type":"client","policies":["reader"],"password":"a long enough password"}`)
	c := amClient{t: t, base: dc.base}
	c.auth = basicAuth("bob", "a long enough password")
	tok1 := wantKeys(t, "login", c.want(http.StatusOK, "POST", "/appmesh/login", "").body, amTokenKeys...)["access_token"].(string)

	// Renew: a new token, and the old one is revoked.
	c.auth = ""
	c.want(http.StatusUnauthorized, "POST", "/appmesh/token/renew", "")
	c.auth = "Bearer " + tok1
	r := c.want(http.StatusOK, "POST", "/appmesh/token/renew", "", "X-Expire-Seconds", "600")
	tok2 := wantKeys(t, "renew", r.body, amTokenKeys...)["access_token"].(string)
	if tok2 == tok1 {
		t.Fatalf("renew answered the same token")
	}
	c.want(http.StatusUnauthorized, "POST", "/appmesh/auth", "")
	c.want(http.StatusUnauthorized, "POST", "/appmesh/token/renew", "")
	c.auth = "Bearer " + tok2
	c.want(http.StatusOK, "POST", "/appmesh/auth", "")
	// An ACL token is not a login: renew and logoff refuse it.
	c.auth = "Bearer " + mgmt
	c.want(http.StatusBadRequest, "POST", "/appmesh/token/renew", "")
	c.want(http.StatusBadRequest, "POST", "/appmesh/self/logoff", "")

	// TOTP enrolment by the user itself: secret, then setup with a code.
	c.auth = "Bearer " + tok2
	m := wantKeys(t, "totp/secret", c.want(http.StatusOK, "POST", "/appmesh/totp/secret", "").body, "mfa_uri")
	uri, err := base64.StdEncoding.DecodeString(m["mfa_uri"].(string))
	if err != nil {
		t.Fatalf("mfa_uri is not base64: %v", err)
	}
	u, err := url.Parse(string(uri))
	if err != nil || u.Scheme != "otpauth" || u.Query().Get("secret") == "" {
		t.Fatalf("mfa_uri %q is not an otpauth URI with a secret", uri)
	}
	secret := u.Query().Get("secret")
	c.want(http.StatusBadRequest, "POST", "/appmesh/totp/setup", "")
	code := nextTOTPCode(t, secret, time.Now().Add(-30*time.Second))
	setupAt := time.Now()
	r = c.want(http.StatusOK, "POST", "/appmesh/totp/setup", "", "X-Totp-Code", code)
	tok3 := wantKeys(t, "totp/setup", r.body, amTokenKeys...)["access_token"].(string)
	c.want(http.StatusUnauthorized, "POST", "/appmesh/auth", "") // tok2 was renewed away

	// Login now answers 428 with a challenge, which validate answers once.
	c.auth = basicAuth("bob", "a long enough password")
	r = c.want(http.StatusPreconditionRequired, "POST", "/appmesh/login", "")
	ch := wantKeys(t, "428", r.body, "totp_challenge", "status", "digits", "period", "expires")
	code = nextTOTPCode(t, secret, setupAt)
	body := `{"user_name":"bob","totp_code":"` + code + `","totp_challenge":"` + ch["totp_challenge"].(string) + `","expire_seconds":3600}`
	c.auth = ""
	c.want(http.StatusUnauthorized, "POST", "/appmesh/totp/validate",
		strings.Replace(body, `"bob"`, `"eve"`, 1)) // another user's name: refused, and the challenge is spent
	r = c.want(http.StatusPreconditionRequired, "POST", "/appmesh/login", "", "Authorization", basicAuth("bob", "a long enough password"))
	ch = wantKeys(t, "428", r.body, "totp_challenge")
	body = `{"user_name":"bob","totp_code":"` + code + `","totp_challenge":"` + ch["totp_challenge"].(string) + `","expire_seconds":3600}`
	r = c.want(http.StatusOK, "POST", "/appmesh/totp/validate", body, "X-Set-Cookie", "true")
	tok4 := wantKeys(t, "totp/validate", r.body, amTokenKeys...)["access_token"].(string)
	if !strings.Contains(r.header.Get("Set-Cookie"), "appmesh_auth_token=") {
		t.Errorf("validate with X-Set-Cookie: no cookie (%q)", r.header.Get("Set-Cookie"))
	}
	c.want(http.StatusUnauthorized, "POST", "/appmesh/totp/validate", body) // once only

	// Logoff: the token is revoked everywhere and the cookie cleared.
	c.auth = "Bearer " + tok4
	r = c.want(http.StatusOK, "POST", "/appmesh/self/logoff", "")
	if sc := r.header.Get("Set-Cookie"); !strings.Contains(sc, "appmesh_auth_token=") || !strings.Contains(sc, "Max-Age=0") {
		t.Errorf("logoff Set-Cookie %q, want the cookie expired", sc)
	}
	c.want(http.StatusUnauthorized, "POST", "/appmesh/auth", "")
	c.want(http.StatusUnauthorized, "POST", "/appmesh/self/logoff", "")
	if code, body := dc.do("GET", "/v1/acl/token/self", tok4, ""); code != http.StatusForbidden {
		t.Errorf("/v1/acl/token/self with a logged-off token: %d %s, want 403", code, body)
	}

	// Logoff ends one login only: bob's other login (tok3) still works.
	c.auth = "Bearer " + tok3
	c.want(http.StatusOK, "POST", "/appmesh/auth", "")

	// Disabling TOTP needs a management token, also for oneself.
	c.auth = "Bearer " + tok3
	c.want(http.StatusForbidden, "POST", "/appmesh/totp/self/disable", "")
	c.auth = "Bearer " + mgmt
	c.want(http.StatusOK, "POST", "/appmesh/totp/bob/disable", "")
	c.auth = basicAuth("bob", "a long enough password")
	c.want(http.StatusOK, "POST", "/appmesh/login", "")
}
