package agent

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/appmeshapi"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// amClient speaks App Mesh's API to a real agent.
type amClient struct {
	t    *testing.T
	base string
	// auth is the Authorization header ("" none).
	auth string
}

type amResp struct {
	code   int
	header http.Header
	body   string
}

func (c amClient) do(method, path, body string, hdr ...string) amResp {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		// As App Mesh's SDKs send a body (the agent refuses untyped writes).
		req.Header.Set("Content-Type", "application/json")
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return amResp{code: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (c amClient) want(code int, method, path, body string, hdr ...string) amResp {
	c.t.Helper()
	r := c.do(method, path, body, hdr...)
	if r.code != code {
		c.t.Fatalf("%s %s: got %d %s, want %d", method, path, r.code, r.body, code)
	}
	return r
}

// doWithHeader is a GET-like request with one extra header and no token.
func (c doorClient) doWithHeader(method, path, name, value string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set(name, value)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// TestAppMeshLogin logs a user in with Basic auth on a real agent with ACLs
// on, uses the JWT as a Bearer token, and checks the refusals.
func TestAppMeshLogin(t *testing.T) {
	a, mgmt := startACLAgent(t)
	dc := doorClient{t: t, base: "http://" + a.HTTPAddr()}
	dc.must("PUT", "/v1/acl/user", mgmt, `{"name":"alice","type":"management","password":"a long enough password"}`)
	c := amClient{t: t, base: dc.base}

	c.auth = basicAuth("alice", "wrong password here")
	r := c.want(http.StatusUnauthorized, "POST", "/appmesh/login", "")
	if !strings.Contains(r.body, `"message"`) {
		t.Errorf("bad password: body %s has no message", r.body)
	}
	c.auth = ""
	c.want(http.StatusUnauthorized, "POST", "/appmesh/login", "")
	c.auth = basicAuth("alice", "a long enough password")
	c.want(http.StatusBadRequest, "POST", "/appmesh/login", "", "X-Audience", "elsewhere")
	r = c.want(http.StatusOK, "POST", "/appmesh/login", "", "X-Expire-Seconds", "3600")
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpireTime  int64  `json:"expire_time"`
		ExpiresIn   int64  `json:"expires_in"`
		Profile     struct {
			Name string `json:"name"`
		} `json:"profile"`
	}
	decodeJSON(t, r.body, &tok)
	if tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.Profile.Name != "alice" ||
		tok.ExpireTime <= time.Now().Unix() || tok.ExpiresIn <= 0 {
		t.Fatalf("login answer %s", r.body)
	}

	// Without a token the ACL check refuses; with the JWT it lets through.
	c.auth = ""
	c.want(http.StatusForbidden, "GET", "/appmesh/applications", "")
	c.want(http.StatusUnauthorized, "POST", "/appmesh/auth", "")
	c.auth = "Bearer " + tok.AccessToken
	r = c.want(http.StatusOK, "GET", "/appmesh/applications", "")
	if strings.TrimSpace(r.body) != "[]" {
		t.Errorf("applications: %s, want []", r.body)
	}
	r = c.want(http.StatusOK, "POST", "/appmesh/auth", "")
	if !strings.Contains(r.body, tok.AccessToken) {
		t.Errorf("auth answer %s does not carry the token", r.body)
	}
	c.want(http.StatusOK, "POST", "/appmesh/auth", "", "X-Permission", "app-view")
	c.want(http.StatusBadRequest, "POST", "/appmesh/auth", "", "X-Permission", "no-such-permission")
	c.want(http.StatusOK, "POST", "/appmesh/self/logoff", "")
	c.want(http.StatusUnauthorized, "POST", "/appmesh/auth", "")
	c.auth = "Bearer not-a-token"
	c.want(http.StatusUnauthorized, "POST", "/appmesh/auth", "")

	// X-Set-Cookie: the token also comes back as App Mesh's cookie, which
	// /appmesh/ routes (and only they) accept in place of the header.
	c.auth = basicAuth("alice", "a long enough password")
	r = c.want(http.StatusOK, "POST", "/appmesh/login", "", "X-Set-Cookie", "true")
	sc := r.header.Get("Set-Cookie")
	for _, part := range []string{"appmesh_auth_token=", "Path=/", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(sc, part) {
			t.Errorf("Set-Cookie %q lacks %s", sc, part)
		}
	}
	if strings.Contains(sc, "Domain=") || strings.Contains(sc, "Secure") {
		t.Errorf("Set-Cookie %q: no Domain, and no Secure without TLS", sc)
	}
	cookie := strings.SplitN(sc, ";", 2)[0]
	c.auth = ""
	c.want(http.StatusOK, "GET", "/appmesh/applications", "", "Cookie", cookie)
	c.want(http.StatusOK, "POST", "/appmesh/auth", "", "Cookie", cookie)
	if code, body := dc.doWithHeader("GET", "/v1/jobs", "Cookie", cookie); code != http.StatusForbidden {
		t.Errorf("/v1/jobs with only the App Mesh cookie: %d %s, want 403", code, body)
	}

	// Once alice has TOTP, a login without X-Totp-Code is App Mesh's 428
	// with a totp_challenge.
	var enroll struct {
		Secret string `json:"secret"`
	}
	decodeJSON(t, dc.must("PUT", "/v1/acl/user/alice/totp/enroll", mgmt, ""), &enroll)
	code, err := totp.GenerateCodeCustom(enroll.Secret, time.Now(),
		totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	dc.must("PUT", "/v1/acl/user/alice/totp/confirm", mgmt, `{"code":"`+code+`"}`)
	c.auth = basicAuth("alice", "a long enough password")
	r = c.want(http.StatusPreconditionRequired, "POST", "/appmesh/login", "")
	var ch struct {
		Challenge string `json:"totp_challenge"`
		Status    string `json:"status"`
	}
	decodeJSON(t, r.body, &ch)
	if ch.Challenge == "" || ch.Status != "TOTP_CHALLENGE_REQUIRED" {
		t.Errorf("428 answer %s", r.body)
	}
}

// waitExit reads an application's output from position 0 until the
// answer carries X-Exit-Code, and returns all of it and the code.
func waitExit(t *testing.T, c amClient, path string) (string, string) {
	t.Helper()
	var out strings.Builder
	pos := "0"
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		r := c.want(http.StatusOK, "GET", path+sep+"stdout_position="+pos+"&timeout=1", "")
		out.WriteString(r.body)
		if p := r.header.Get("X-Output-Position"); p == "" {
			t.Fatalf("output without X-Output-Position")
		} else {
			pos = p
		}
		if code := r.header.Get("X-Exit-Code"); code != "" {
			return out.String(), code
		}
	}
	t.Fatalf("%s: no X-Exit-Code within 60s (output so far %q)", path, out.String())
	return "", ""
}

// TestAppMeshApps registers an application running echo on a real dev
// agent, reads it back, reads its output by position until X-Exit-Code,
// and deletes it; fields appmesh cannot honour are refused.
func TestAppMeshApps(t *testing.T) {
	a, _ := startTestAgent(t, "am-apps")
	c := amClient{t: t, base: "http://" + a.HTTPAddr()}

	// The SDKs send the whole struct: nulls and runtime fields pass.
	body := `{"name":"hello","command":"echo 'hello appmesh'","description":"greets","status":1,
	  "env":{"A":"1"},"behavior":{"exit":"standby"},"cron":null,"pid":null,"docker_image":null}`
	c.want(http.StatusOK, "PUT", "/appmesh/app/hello", body)
	r := c.want(http.StatusOK, "GET", "/appmesh/app/hello", "")
	var app map[string]any
	decodeJSON(t, r.body, &app)
	if app["name"] != "hello" || app["command"] != "echo 'hello appmesh'" || app["status"] != 1.0 ||
		app["description"] != "greets" {
		t.Errorf("GET app: %s", r.body)
	}
	if _, ok := app["pid"]; !ok {
		t.Errorf("GET app has no pid key (null expected): %s", r.body)
	}
	out, code := waitExit(t, c, "/appmesh/app/hello/output")
	if out != "hello appmesh\n" || code != "0" {
		t.Errorf("output %q exit %s, want %q exit 0", out, code, "hello appmesh\n")
	}
	r = c.want(http.StatusOK, "GET", "/appmesh/app/hello/output?stdout_position=6", "")
	if r.body != "appmesh\n" || r.header.Get("X-Output-Position") != "14" {
		t.Errorf("output from 6: %q position %s", r.body, r.header.Get("X-Output-Position"))
	}
	if r = c.want(http.StatusOK, "GET", "/appmesh/app/hello/health", ""); r.body != "0" {
		t.Errorf("health %q, want 0", r.body)
	}
	var list []map[string]any
	decodeJSON(t, c.want(http.StatusOK, "GET", "/appmesh/applications", "").body, &list)
	if len(list) != 1 || list[0]["name"] != "hello" {
		t.Errorf("applications: %v", list)
	}

	for _, bad := range []struct{ body, want string }{
		{`{"command":"echo","cron":"* * * * *"}`, `"cron"`},
		{`{"command":"echo","colour":"red"}`, `field "colour": unknown field`},
		{`{"command":"echo","behavior":{"exit":"explode"}}`, `behavior.exit "explode"`},
		{`{"command":"echo","resource_limit":{"memory_virt_mb":64}}`, `memory_virt_mb`},
		{`{"command":"echo","permission":11}`, `"permission"`},
		{`{"command":"echo","status":7}`, `"status"`},
		{`{"name":"other","command":"echo"}`, `does not match`},
		{`{"command":"echo 'open"}`, `unterminated`},
	} {
		r := c.want(http.StatusBadRequest, "PUT", "/appmesh/app/bad", bad.body)
		var e struct {
			Message string `json:"message"`
		}
		decodeJSON(t, r.body, &e)
		if !strings.Contains(e.Message, bad.want) || !strings.Contains(e.Message, `application "bad"`) {
			t.Errorf("PUT %s: %q does not name %s and the application", bad.body, e.Message, bad.want)
		}
	}
	c.want(http.StatusNotFound, "GET", "/appmesh/app/bad", "")
	c.want(http.StatusBadRequest, "PUT", "/appmesh/app/run", `{"command":"echo"}`)
	if r := c.want(http.StatusNotFound, "GET", "/appmesh/app/hello", "", "X-Target-Host", "other:6060"); !strings.Contains(r.body, "X-Target-Host") {
		t.Errorf("X-Target-Host: %s", r.body)
	}

	// A failing application: its exit code in X-Exit-Code and return,
	// health 1; there is no process before the latest.
	c.want(http.StatusOK, "PUT", "/appmesh/app/failing", `{"command":"exit 5","shell":true}`)
	if _, code := waitExit(t, c, "/appmesh/app/failing/output"); code != "5" {
		t.Errorf("failing app exit %s, want 5", code)
	}
	if r := c.want(http.StatusOK, "GET", "/appmesh/app/failing/health", ""); r.body != "1" {
		t.Errorf("failing app health %q, want 1", r.body)
	}
	c.want(http.StatusNotFound, "GET", "/appmesh/app/failing/output?stdout_index=1", "")
	c.want(http.StatusBadRequest, "GET", "/appmesh/app/failing/output?stdout_position=-1", "")
	c.want(http.StatusOK, "DELETE", "/appmesh/app/failing", "")

	// A long-running application: disable stops it, enable starts it again.
	c.want(http.StatusOK, "PUT", "/appmesh/app/sleeper", `{"command":"sleep 600","behavior":{"exit":"restart"}}`)
	waitAppStatus(t, c, "sleeper", 1, true)
	c.want(http.StatusOK, "POST", "/appmesh/app/sleeper/disable", "")
	waitAppStatus(t, c, "sleeper", 0, false)
	c.want(http.StatusOK, "POST", "/appmesh/app/sleeper/enable", "")
	waitAppStatus(t, c, "sleeper", 1, true)
	c.want(http.StatusOK, "DELETE", "/appmesh/app/sleeper", "")
	// Registered disabled: it exists but never runs.
	c.want(http.StatusOK, "PUT", "/appmesh/app/off", `{"command":"echo never","status":0}`)
	waitAppStatus(t, c, "off", 0, false)
	c.want(http.StatusOK, "DELETE", "/appmesh/app/off", "")

	c.want(http.StatusOK, "DELETE", "/appmesh/app/hello", "")
	c.want(http.StatusNotFound, "GET", "/appmesh/app/hello", "")
	c.want(http.StatusNotFound, "DELETE", "/appmesh/app/hello", "")
}

// TestAppMeshRun runs commands through syncrun (output and X-Exit-Code in
// the answer) and run (name and process_uuid, output read afterwards).
func TestAppMeshRun(t *testing.T) {
	a, _ := startTestAgent(t, "am-run")
	c := amClient{t: t, base: "http://" + a.HTTPAddr()}

	r := c.want(http.StatusOK, "POST", "/appmesh/app/syncrun?timeout=60",
		`{"command":"echo out; echo err >&2; exit 3","shell":true}`)
	if r.body != "out\n" || r.header.Get("X-Exit-Code") != "3" {
		t.Errorf("syncrun: %q exit %q, want %q exit 3", r.body, r.header.Get("X-Exit-Code"), "out\n")
	}
	// timeout kills the command: timeout(1)'s exit code 124.
	r = c.want(http.StatusOK, "POST", "/appmesh/app/syncrun?timeout=1", `{"command":"sleep 120"}`)
	if r.header.Get("X-Exit-Code") != "124" {
		t.Errorf("syncrun past its timeout: exit %q, want 124", r.header.Get("X-Exit-Code"))
	}
	r = c.want(http.StatusPreconditionFailed, "POST", "/appmesh/app/syncrun", `{"command":"/no/such/command"}`)
	if !strings.Contains(r.body, "did not start") {
		t.Errorf("syncrun of a missing command: %s", r.body)
	}
	c.want(http.StatusBadRequest, "POST", "/appmesh/app/syncrun?timeout=60&lifecycle=5", `{"command":"true"}`)
	c.want(http.StatusMethodNotAllowed, "POST", "/appmesh/app/other", `{"command":"true"}`)
	// A sync run's job is purged once it answered.
	if r = c.want(http.StatusOK, "GET", "/appmesh/applications", ""); strings.TrimSpace(r.body) != "[]" {
		t.Errorf("applications after sync runs: %s, want []", r.body)
	}
	c.want(http.StatusBadRequest, "POST", "/appmesh/app/syncrun", `{"command":"true","session_login":true}`)

	r = c.want(http.StatusOK, "POST", "/appmesh/app/run?timeout=60", `{"command":"printf 'a b'"}`)
	var run struct {
		Name        string `json:"name"`
		ProcessUUID string `json:"process_uuid"`
	}
	if err := json.Unmarshal([]byte(r.body), &run); err != nil || run.Name == "" || run.ProcessUUID == "" {
		t.Fatalf("run answer %s: %v", r.body, err)
	}
	c.want(http.StatusNotFound, "GET", "/appmesh/app/"+run.Name+"/output?process_uuid=nope", "")
	out, code := waitExit(t, c, "/appmesh/app/"+run.Name+"/output?process_uuid="+run.ProcessUUID)
	if out != "a b" || code != "0" {
		t.Errorf("async run output %q exit %s, want %q exit 0", out, code, "a b")
	}
}

// waitAppStatus waits until GET /appmesh/app/<name> shows status and a
// running process (a pid-less "running": appmesh reports last_start_time
// and no return code while it runs) or none.
func waitAppStatus(t *testing.T, c amClient, name string, status int, running bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		r := c.want(http.StatusOK, "GET", "/appmesh/app/"+name, "")
		last = r.body
		var app map[string]any
		decodeJSON(t, r.body, &app)
		isRunning := app["last_start_time"] != nil && app["return"] == nil
		if app["status"] == float64(status) && isRunning == running {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("application %s never reached status %d running=%v: %s", name, status, running, last)
}

// TestAppMeshPermissions checks the permission table against the real ACL
// check: a token with exactly a permission's capabilities may use its
// route, and without any one of them it is refused.
func TestAppMeshPermissions(t *testing.T) {
	a, mgmt := startACLAgent(t)
	dc := doorClient{t: t, base: "http://" + a.HTTPAddr()}
	admin := amClient{t: t, base: dc.base, auth: "Bearer " + mgmt}
	admin.want(http.StatusOK, "PUT", "/appmesh/app/seen", `{"command":"echo seen"}`)
	caps := map[string][]string{}
	for _, p := range appmeshapi.Permissions {
		caps[p.Name] = p.Capabilities
	}
	tokenWith := func(name string, cs []string) string {
		quoted, _ := json.Marshal(cs)
		rules := "namespace \"default\" {\n capabilities = " + string(quoted) + "\n}\n"
		body, _ := json.Marshal(map[string]string{"rules": rules})
		dc.must("PUT", "/v1/acl/policy/"+name, mgmt, string(body))
		var tok struct {
			SecretID string `json:"secret_id"`
		}
		decodeJSON(t, dc.must("PUT", "/v1/acl/token", mgmt, `{"name":"`+name+`","policies":["`+name+`"]}`), &tok)
		return tok.SecretID
	}
	for i, c := range []struct {
		perm, method, path, body string
	}{
		{"app-view", "GET", "/appmesh/app/seen", ""},
		{"app-view-all", "GET", "/appmesh/applications", ""},
		{"app-reg", "PUT", "/appmesh/app/p%d", `{"command":"echo x"}`},
		{"app-run-sync", "POST", "/appmesh/app/syncrun", `{"command":"echo x"}`},
		{"app-run-async", "POST", "/appmesh/app/run", `{"command":"echo x"}`},
		{"app-output-view", "GET", "/appmesh/app/seen/output", ""},
	} {
		path := strings.Replace(c.path, "%d", fmt.Sprint(i), 1)
		full := caps[c.perm]
		if len(full) == 0 {
			t.Fatalf("permission %s has no capabilities in appmeshapi.Permissions", c.perm)
		}
		cl := amClient{t: t, base: dc.base, auth: "Bearer " + tokenWith(fmt.Sprintf("full%d", i), full)}
		if r := cl.do(c.method, path, c.body); r.code != http.StatusOK {
			t.Errorf("%s with %v: %s %s got %d %s, want 200", c.perm, full, c.method, path, r.code, r.body)
		}
		for j := range full {
			less := append(append([]string{}, full[:j]...), full[j+1:]...)
			cl.auth = "Bearer " + tokenWith(fmt.Sprintf("less%d-%d", i, j), less)
			lessPath := strings.Replace(c.path, "%d", fmt.Sprint(100*i+j+1), 1) // a new name for PUT
			if r := cl.do(c.method, lessPath, c.body); r.code != http.StatusForbidden {
				t.Errorf("%s without %s: %s %s got %d %s, want 403", c.perm, full[j], c.method, lessPath, r.code, r.body)
			}
		}
	}
}
