package agent

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// TestHTTPLogin: a user logs in through POST /v1/acl/login; the JWT works
// in Authorization: Bearer and X-Appmesh-Token; the JWKS is public; a
// refresh token works once; a wrong password is a 403; and one address
// trying too fast gets 429 with Retry-After.
func TestHTTPLogin(t *testing.T) {
	a, mgmt := startACLAgent(t)
	c := doorClient{t: t, base: "http://" + a.HTTPAddr()}
	c.must("PUT", "/v1/acl/policy/node-read", mgmt, `{"rules":"node {\n policy = \"read\"\n}\n"}`)
	c.must("PUT", "/v1/acl/user", mgmt, `{"name":"alice","policies":["node-read"],"password":"a long enough password"}`)

	var out struct {
		Token        string `json:"token"`
		RefreshToken string `json:"refresh_token"`
		TokenType    string `json:"token_type"`
	}
	decodeJSON(t, c.must("POST", "/v1/acl/login", "", `{"username":"alice","password":"a long enough password"}`), &out)
	if out.TokenType != "jwt" || out.Token == "" || out.RefreshToken == "" {
		t.Fatalf("login answer: %+v", out)
	}
	req, _ := http.NewRequest("GET", c.base+"/v1/nodes", nil)
	req.Header.Set("Authorization", "Bearer "+out.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/nodes with the JWT as a bearer token: %d", resp.StatusCode)
	}
	c.must("GET", "/v1/nodes", out.Token, "")
	if code, body := c.do("GET", "/v1/jobs", out.Token, ""); code != http.StatusForbidden {
		t.Fatalf("GET /v1/jobs with a node-read JWT: %d %s", code, body)
	}
	for _, path := range []string{"/v1/acl/jwks", "/v1/.well-known/jwks.json"} {
		body := c.must("GET", path, "", "")
		if !strings.Contains(body, `"kty":"OKP"`) || !strings.Contains(body, `"alg":"EdDSA"`) || strings.Contains(body, "private") {
			t.Fatalf("%s: %s", path, body)
		}
	}
	// Forged over HTTP: the same claims unsigned (alg none) or HMAC-signed
	// with the public key of the JWKS.
	var set struct {
		Keys []struct {
			X   string `json:"x"`
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	decodeJSON(t, c.must("GET", "/v1/acl/jwks", "", ""), &set)
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(out.Token, claims); err != nil {
		t.Fatal(err)
	}
	none := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
	none.Header["kid"] = set.Keys[0].Kid
	noneTok, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	hs.Header["kid"] = set.Keys[0].Kid
	pub, _ := base64.RawURLEncoding.DecodeString(set.Keys[0].X)
	hsTok, _ := hs.SignedString(pub)
	for name, forged := range map[string]string{"alg none": noneTok, "HS256 with the public key": hsTok} {
		if code, body := c.do("GET", "/v1/nodes", forged, ""); code != http.StatusForbidden || !strings.Contains(body, "bad signature or algorithm") {
			t.Errorf("%s over HTTP: %d %s", name, code, body)
		}
	}
	var next struct {
		Token string `json:"token"`
	}
	decodeJSON(t, c.must("POST", "/v1/acl/login/refresh", "", `{"refresh_token":"`+out.RefreshToken+`"}`), &next)
	if code, body := c.do("POST", "/v1/acl/login/refresh", "", `{"refresh_token":"`+out.RefreshToken+`"}`); code != http.StatusForbidden || !strings.Contains(body, "already used") {
		t.Fatalf("reused refresh token: %d %s", code, body)
	}
	if code, _ := c.do("GET", "/v1/nodes", next.Token, ""); code != http.StatusForbidden {
		t.Fatalf("the JWT of a revoked session still works: %d", code)
	}
	if code, body := c.do("POST", "/v1/acl/login", "", `{"username":"alice","password":"wrong password!"}`); code != http.StatusForbidden ||
		!strings.Contains(body, "invalid username or password") || strings.Contains(body, "wrong password!") {
		t.Fatalf("wrong password: %d %s", code, body)
	}
	limited := 0
	for i := 0; i < 100 && limited == 0; i++ {
		req, _ := http.NewRequest("POST", c.base+"/v1/acl/login", strings.NewReader(`{"username":"nobody","password":"whatever it is"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			limited++
			if resp.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
	}
	if limited == 0 {
		t.Fatal("100 quick logins from one address were never rate limited")
	}
}
