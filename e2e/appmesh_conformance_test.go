package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The expectations below are written from App Mesh's OpenAPI description
// (src/daemon/rest/openapi.yaml of laoshanxi/app-mesh) and from what its
// Python SDK sends and reads (appmesh/client_http.py): request headers,
// query parameters and bodies as the SDK builds them; status codes,
// headers and JSON keys as the SDK and the description rely on. Where
// appmesh deliberately differs, website/appmesh-api.md says so and the
// test asserts the documented behaviour.

// amTokenKeys are the keys of the description's TokenResponse.
var amTokenKeys = []string{"profile", "access_token", "token_type", "expire_time", "expire_seconds"}

// amSDK speaks to an agent as App Mesh's Python SDK does: one session with
// a cookie jar, the token taken from the appmesh_auth_token cookie and sent
// again as Authorization: Bearer, User-Agent appmesh/python.
type amSDK struct {
	t      *testing.T
	base   *url.URL
	client *http.Client
}

type amAnswer struct {
	status int
	header http.Header
	body   []byte
}

func newAMSDK(t *testing.T, a *agent) *amSDK {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(a.addr)
	if err != nil {
		t.Fatal(err)
	}
	return &amSDK{t: t, base: u, client: &http.Client{Jar: jar, Timeout: 2 * time.Minute}}
}

// with is the same session reporting to t (a subtest).
func (c *amSDK) with(t *testing.T) *amSDK {
	cp := *c
	cp.t = t
	return &cp
}

// token is the session's appmesh_auth_token cookie ("" none).
func (c *amSDK) token() string {
	for _, ck := range c.client.Jar.Cookies(c.base) {
		if ck.Name == "appmesh_auth_token" {
			return ck.Value
		}
	}
	return ""
}

// call sends one request; hdr is name, value pairs. A map or slice body is
// sent as JSON with Content-Type application/json, as the SDK does.
func (c *amSDK) call(method, path string, body any, hdr ...string) amAnswer {
	c.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case io.Reader:
		rd = b
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd, ctype = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequest(method, c.base.String()+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if tok := c.token(); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("User-Agent", "appmesh/python")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	return amAnswer{status: resp.StatusCode, header: resp.Header, body: data}
}

// want requires the status; with keys, a JSON object holding them all.
func (c *amSDK) want(ans amAnswer, what string, status int, keys ...string) map[string]any {
	c.t.Helper()
	if ans.status != status {
		c.t.Fatalf("%s: status %d, want %d: %s", what, ans.status, status, ans.body)
	}
	if len(keys) == 0 {
		return nil
	}
	if ct := ans.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		c.t.Errorf("%s: Content-Type %q, want application/json", what, ct)
	}
	var obj map[string]any
	if err := json.Unmarshal(ans.body, &obj); err != nil {
		c.t.Fatalf("%s: not a JSON object: %v: %s", what, err, ans.body)
	}
	for _, k := range keys {
		if _, ok := obj[k]; !ok {
			c.t.Errorf("%s: key %q missing from %s", what, k, ans.body)
		}
	}
	return obj
}

// wantError requires App Mesh's error answer: the status and {"message"}.
func (c *amSDK) wantError(ans amAnswer, what string, status int) {
	c.t.Helper()
	if m := c.want(ans, what, status, "message"); m["message"] == "" {
		c.t.Errorf("%s: empty message", what)
	}
}

// login is the SDK's login(): Basic auth, X-Set-Cookie, X-Expire-Seconds
// (its default of one week), X-Totp-Code when given.
func (c *amSDK) login(user, pass, code string) amAnswer {
	c.t.Helper()
	hdr := []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)),
		"X-Set-Cookie", "true", "X-Expire-Seconds", "604800"}
	if code != "" {
		hdr = append(hdr, "X-Totp-Code", code)
	}
	return c.call("POST", "/appmesh/login", nil, hdr...)
}

// mustLogin logs in and checks the token answer and App Mesh's cookie.
func (c *amSDK) mustLogin(user, pass string) {
	c.t.Helper()
	ans := c.login(user, pass, "")
	tok := c.want(ans, "login "+user, http.StatusOK, amTokenKeys...)
	c.checkToken(tok, ans, user)
}

// checkToken checks a TokenResponse and that the cookie carries its token
// with the attributes the issue names (plain HTTP here: no Secure).
func (c *amSDK) checkToken(tok map[string]any, ans amAnswer, user string) {
	c.t.Helper()
	if tok["token_type"] != "Bearer" || tok["access_token"] == "" {
		c.t.Errorf("token answer %s", ans.body)
	}
	if p, _ := tok["profile"].(map[string]any); p == nil || p["name"] != user || p["auth_time"] == nil {
		c.t.Errorf("token profile: %s", ans.body)
	}
	if n, _ := tok["expire_seconds"].(float64); n <= 0 {
		c.t.Errorf("expire_seconds %v, want > 0", tok["expire_seconds"])
	}
	sc := ans.header.Get("Set-Cookie")
	for _, want := range []string{"appmesh_auth_token=", "Path=/", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(sc, want) {
			c.t.Errorf("Set-Cookie %q lacks %q", sc, want)
		}
	}
	if strings.Contains(sc, "Secure") || strings.Contains(sc, "Domain=") {
		c.t.Errorf("Set-Cookie %q: no Secure over plain HTTP, no Domain on an IP host", sc)
	}
	if c.token() != tok["access_token"] {
		c.t.Errorf("the cookie does not carry the answer's access_token")
	}
}

// TestAppMeshConformance drives App Mesh's REST API on a real agent with
// ACLs on, request by request as App Mesh's Python SDK sends them, and
// checks each answer's status, headers and JSON keys against App Mesh's
// OpenAPI description.
func TestAppMeshConformance(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true, acl: true})
	if r := a.request("PUT", "/v1/acl/user", []byte(
		`{"name":"sdk","type":"management","password":"an sdk password here"}`)); r.status != http.StatusOK {
		t.Fatalf("create user: %d %s", r.status, r.body)
	}
	c := newAMSDK(t, a)
	// Documented difference: without a token appmesh answers 403, not 401;
	// App Mesh's {"message"}, or appmesh's {"error"} when the ACL check
	// refuses before the handler runs (labels, files, output).
	c.wantError(c.call("PUT", "/appmesh/app/conform-anon", map[string]any{"command": "true"}), "add_app without a token",
		http.StatusForbidden)
	c.want(c.call("GET", "/appmesh/labels", nil), "view_tags without a token", http.StatusForbidden, "error")
	c.wantError(c.login("sdk", "not the password", ""), "login with a wrong password", http.StatusUnauthorized)
	c.mustLogin("sdk", "an sdk password here")
	amConformAuth(t, c)
	t.Run("app", func(t *testing.T) { amConformApp(t, c.with(t)) })
	t.Run("run", func(t *testing.T) { amConformRun(t, c.with(t)) })
	t.Run("file", func(t *testing.T) { amConformFile(t, c.with(t)) })
	t.Run("label", func(t *testing.T) { amConformLabel(t, c.with(t), a.nodeName()) })
	t.Run("users", func(t *testing.T) { amConformUsers(t, c.with(t), a) })
	t.Run("totp", func(t *testing.T) { amConformTOTP(t, c.with(t), a) })
	t.Run("host", func(t *testing.T) { amConformHost(t, c.with(t)) })
	// Logoff last: it ends the session the subtests used.
	old := c.token()
	ans := c.call("POST", "/appmesh/self/logoff", nil)
	c.want(ans, "logoff", http.StatusOK)
	if sc := ans.header.Get("Set-Cookie"); !strings.Contains(sc, "appmesh_auth_token=") || !strings.Contains(sc, "Max-Age=0") {
		t.Errorf("logoff Set-Cookie %q, want the cookie cleared", sc)
	}
	c.wantError(c.call("POST", "/appmesh/auth", nil, "Authorization", "Bearer "+old), "auth after logoff", http.StatusUnauthorized)
}

// amConformAuth: authenticate() with a permission, and renew_token().
func amConformAuth(t *testing.T, c *amSDK) {
	tok := c.token()
	ans := c.call("POST", "/appmesh/auth", nil, "Authorization", "Bearer "+tok, "X-Permission", "app-view", "X-Set-Cookie", "true")
	if m := c.want(ans, "auth", http.StatusOK, "success", "user", "permission", "audience"); m["success"] != true ||
		m["user"] != "sdk" || m["permission"] != "app-view" || m["audience"] != "appmesh-service" {
		t.Errorf("auth answered %s", ans.body)
	}
	c.wantError(c.call("POST", "/appmesh/auth", nil, "X-Permission", "no-such-permission"), "auth, unknown permission", http.StatusBadRequest)
	c.wantError(c.call("POST", "/appmesh/auth", nil, "Authorization", "Bearer not-a-token"), "auth, bad token", http.StatusUnauthorized)

	ans = c.call("POST", "/appmesh/token/renew", nil, "X-Expire-Seconds", "604800")
	c.checkToken(c.want(ans, "renew", http.StatusOK, amTokenKeys...), ans, "sdk")
	if c.token() == tok {
		t.Fatal("renew: the cookie still carries the old token")
	}
	c.wantError(c.call("POST", "/appmesh/auth", nil, "Authorization", "Bearer "+tok), "auth with the renewed-away token", http.StatusUnauthorized)
}

// amAppKeys are keys App Mesh answers for an application that its SDK's
// App reads (the runtime ones null where appmesh has no value).
var amAppKeys = []string{"name", "command", "shell", "description", "status", "behavior", "env", "pid", "return",
	"health", "last_start_time", "last_exit_time", "starts", "working_dir", "docker_image", "metadata"}

// amConformApp: add_app, view_app, view_all_apps, check_app_health,
// get_app_output until X-Exit-Code, disable/enable, delete_app.
func amConformApp(t *testing.T, c *amSDK) {
	// App.json() of App({"name", "command", "shell", "description",
	// "behavior": {"exit"}, "env"}): empty fields are left out.
	app := map[string]any{"name": "conform-ping", "command": "echo one; sleep 1; echo two", "shell": true,
		"description": "conformance", "behavior": map[string]any{"exit": "standby"}, "env": map[string]any{"GREETING": "hi"}}
	c.want(c.call("PUT", "/appmesh/app/conform-ping", app), "add_app", http.StatusOK, amAppKeys...)
	got := c.want(c.call("GET", "/appmesh/app/conform-ping", nil), "view_app", http.StatusOK, amAppKeys...)
	if got["name"] != "conform-ping" || got["shell"] != true || got["pid"] != nil {
		t.Errorf("view_app: %v", got)
	}
	ans := c.call("GET", "/appmesh/applications", nil)
	c.want(ans, "view_all_apps", http.StatusOK)
	var list []map[string]any
	if err := json.Unmarshal(ans.body, &list); err != nil || len(list) == 0 {
		t.Fatalf("view_all_apps: want a JSON array of applications: %v %s", err, ans.body)
	}

	out, exit := amConformOutput(t, c, "conform-ping", "")
	if out != "one\ntwo\n" || exit != 0 {
		t.Errorf("output %q exit %d, want \"one\\ntwo\\n\" 0", out, exit)
	}
	ans = c.call("GET", "/appmesh/app/conform-ping/health", nil)
	if c.want(ans, "check_app_health", http.StatusOK); string(ans.body) != "0" {
		t.Errorf("health %q, want 0", ans.body)
	}
	c.wantError(c.call("GET", "/appmesh/app/conform-ping/output?stdout_index=1", nil), "output of a process that never was", http.StatusNotFound)
	c.wantError(c.call("GET", "/appmesh/app/conform-ping/output?process_uuid=nope", nil), "output, wrong process_uuid", http.StatusNotFound)

	// The SDK's App(view_app(...)).json() sent back whole: the App's own
	// attributes, empty ones left out.
	viewed := c.call("GET", "/appmesh/app/conform-ping", nil)
	again := amSDKApp(c.want(viewed, "view_app", http.StatusOK, amAppKeys...))
	if again["last_start_time"] == nil {
		t.Errorf("view_app after a run: no last_start_time to send back: %v", again)
	}
	c.want(c.call("PUT", "/appmesh/app/conform-ping", again), "add_app(view_app())", http.StatusOK, amAppKeys...)

	// An interval app survives the same round trip: the SDK's App keeps
	// only interval, so it must be answered under that name.
	c.want(c.call("PUT", "/appmesh/app/conform-tick", map[string]any{"name": "conform-tick", "command": "true", "interval": 3600}),
		"add_app interval", http.StatusOK)
	tick := amSDKApp(c.want(c.call("GET", "/appmesh/app/conform-tick", nil), "view_app interval", http.StatusOK, "interval"))
	if tick["interval"] != float64(3600) {
		t.Errorf("App(view_app()).json() of an interval app: %v", tick)
	}
	c.want(c.call("PUT", "/appmesh/app/conform-tick", tick), "add_app(view_app()) interval", http.StatusOK)
	if m := c.want(c.call("GET", "/appmesh/app/conform-tick", nil), "view_app interval", http.StatusOK, "interval"); m["interval"] != float64(3600) {
		t.Errorf("interval after the round trip: %v", m["interval"])
	}
	c.want(c.call("DELETE", "/appmesh/app/conform-tick", nil), "delete_app interval", http.StatusOK)

	c.want(c.call("POST", "/appmesh/app/conform-ping/disable", nil), "disable_app", http.StatusOK)
	if got := c.want(c.call("GET", "/appmesh/app/conform-ping", nil), "view_app", http.StatusOK, "status"); got["status"] != float64(0) {
		t.Errorf("status after disable: %v, want 0", got["status"])
	}
	c.want(c.call("POST", "/appmesh/app/conform-ping/enable", nil), "enable_app", http.StatusOK)
	c.want(c.call("DELETE", "/appmesh/app/conform-ping", nil), "delete_app", http.StatusOK)
	c.wantError(c.call("DELETE", "/appmesh/app/conform-ping", nil), "delete_app again", http.StatusNotFound)
	c.wantError(c.call("GET", "/appmesh/app/conform-ping", nil), "view_app after delete", http.StatusNotFound)
}

// amSDKAppKeys are the attributes of the SDK's App that json() sends
// (pid_user and return_code aside: appmesh answers neither).
var amSDKAppKeys = []string{"name", "command", "shell", "session_login", "description", "metadata", "working_dir",
	"status", "docker_image", "stdout_cache_num", "start_time", "end_time", "interval", "cron", "daily_limitation",
	"retention", "health_check_cmd", "permission", "behavior", "env", "sec_env", "pid", "resource_limit", "owner",
	"pstree", "container_id", "memory", "cpu", "fd", "last_start_time", "last_exit_time", "health", "version"}

// amSDKApp is App(answer).json(): the App's attributes, with null, "", 0
// numbers and {} left out (objects cleaned inside first).
func amSDKApp(answer map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range amSDKAppKeys {
		if v := amClean(answer[k]); v != nil {
			out[k] = v
		}
	}
	return out
}

func amClean(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if x == "" {
			return nil
		}
	case float64:
		if x == 0 {
			return nil
		}
	case bool:
		if !x {
			return nil
		}
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			if c := amClean(e); c != nil {
				m[k] = c
			}
		}
		if len(m) == 0 {
			return nil
		}
		return m
	}
	return v
}

// amConformOutput reads an application's output as get_app_output and
// wait_for_async_run do: stdout_position from X-Output-Position (left out
// while 0), stdout_maxsize 10240, timeout 1, process_uuid when given,
// until X-Exit-Code.
func amConformOutput(t *testing.T, c *amSDK, name, uuid string) (string, int) {
	t.Helper()
	var out strings.Builder
	pos := 0
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		q := url.Values{"stdout_maxsize": {"10240"}, "timeout": {"1"}}
		if pos != 0 {
			q.Set("stdout_position", strconv.Itoa(pos))
		}
		if uuid != "" {
			q.Set("process_uuid", uuid)
		}
		ans := c.call("GET", "/appmesh/app/"+name+"/output?"+q.Encode(), nil)
		c.want(ans, "get_app_output", http.StatusOK)
		if ct := ans.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("output Content-Type %q, want text/plain", ct)
		}
		out.Write(ans.body)
		p, err := strconv.Atoi(ans.header.Get("X-Output-Position"))
		if err != nil || p != pos+len(ans.body) {
			t.Fatalf("X-Output-Position %q after %d+%d bytes", ans.header.Get("X-Output-Position"), pos, len(ans.body))
		}
		pos = p
		if v := ans.header.Get("X-Exit-Code"); v != "" {
			code, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("X-Exit-Code %q: %v", v, err)
			}
			return out.String(), code
		}
	}
	t.Fatalf("no X-Exit-Code for %s within 90s; output so far %q", name, out.String())
	return "", 0
}

// amConformRun: run_app_async + wait_for_async_run, and run_app_sync, with
// the SDK's default timeout (P2D) and lifecycle (P2DT12H).
func amConformRun(t *testing.T, c *amSDK) {
	q := "?timeout=172800&lifecycle=216000"
	ans := c.call("POST", "/appmesh/app/run"+q, map[string]any{"command": "echo async; exit 3", "shell": true})
	run := c.want(ans, "run_app_async", http.StatusOK, "name", "process_uuid")
	name, _ := run["name"].(string)
	uuid, _ := run["process_uuid"].(string)
	if name == "" || uuid == "" {
		t.Fatalf("run_app_async answered %s", ans.body)
	}
	out, exit := amConformOutput(t, c, name, uuid)
	if out != "async\n" || exit != 3 {
		t.Errorf("async run: output %q exit %d, want \"async\\n\" 3", out, exit)
	}
	c.want(c.call("DELETE", "/appmesh/app/"+name, nil), "delete the async run", http.StatusOK)

	ans = c.call("POST", "/appmesh/app/syncrun"+q, map[string]any{"command": "echo sync; exit 4", "shell": true})
	c.want(ans, "run_app_sync", http.StatusOK)
	if string(ans.body) != "sync\n" || ans.header.Get("X-Exit-Code") != "4" || ans.header.Get("X-Output-Position") != "5" {
		t.Errorf("run_app_sync: %q X-Exit-Code %q X-Output-Position %q", ans.body,
			ans.header.Get("X-Exit-Code"), ans.header.Get("X-Output-Position"))
	}
	c.wantError(c.call("POST", "/appmesh/app/syncrun?timeout=20&lifecycle=10", map[string]any{"command": "true"}),
		"syncrun, timeout beyond lifecycle", http.StatusBadRequest)
}

// amConformFile: upload_file then download_file, as the SDK sends them.
func amConformFile(t *testing.T, c *amSDK) {
	const remote = "conform dir/report 1.txt"
	content := "round trip\n"
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("filename", "report 1.txt"); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("file", "filename")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write([]byte(content))
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	uid, gid := strconv.Itoa(os.Getuid()), strconv.Itoa(os.Getgid())
	// parse.quote: '/' stays, the rest is percent-escaped.
	escaped := strings.ReplaceAll(url.PathEscape(remote), "%2F", "/")
	ans := c.call("POST", "/appmesh/file/upload", &body, "Content-Type", mw.FormDataContentType(),
		"X-File-Path", escaped, "X-File-Mode", "416", "X-File-User", uid, "X-File-Group", gid)
	c.want(ans, "upload_file", http.StatusOK)

	ans = c.call("GET", "/appmesh/file/download", nil, "X-File-Path", remote)
	c.want(ans, "download_file", http.StatusOK)
	if string(ans.body) != content {
		t.Errorf("downloaded %q, want %q", ans.body, content)
	}
	// The SDK applies these with int(): they must be numbers.
	if m, u, g := ans.header.Get("X-File-Mode"), ans.header.Get("X-File-User"), ans.header.Get("X-File-Group"); m != "416" || u != uid || g != gid {
		t.Errorf("download headers mode %q user %q group %q, want 416 %s %s", m, u, g, uid, gid)
	}
	c.wantError(c.call("GET", "/appmesh/file/download", nil, "X-File-Path", "no/such/file"), "download a missing file", http.StatusNotFound)
	c.wantError(c.call("GET", "/appmesh/file/download", nil, "X-File-Path", "../outside"), "download outside the base", http.StatusForbidden)
}

// amConformLabel: add_tag, view_tags, delete_tag; also X-Target-Host
// naming this node (answered here) and an unknown one.
func amConformLabel(t *testing.T, c *amSDK, node string) {
	ans := c.call("PUT", "/appmesh/label/conform?value=yes", nil)
	if m := c.want(ans, "add_tag", http.StatusOK, "conform"); m["conform"] != "yes" {
		t.Errorf("add_tag answered %s", ans.body)
	}
	c.want(c.call("GET", "/appmesh/labels", nil, "X-Target-Host", node+":6060"), "view_tags forwarded to this node", http.StatusOK, "conform")
	c.wantError(c.call("GET", "/appmesh/labels", nil, "X-Target-Host", "no-such-node:6060"), "view_tags for an unknown node", http.StatusNotFound)
	c.wantError(c.call("PUT", "/appmesh/label/conform", nil), "add_tag without a value", http.StatusBadRequest)
	c.want(c.call("DELETE", "/appmesh/label/conform", nil), "delete_tag", http.StatusOK)
	var labels map[string]string
	if err := json.Unmarshal(c.call("GET", "/appmesh/labels", nil).body, &labels); err != nil {
		t.Fatal(err)
	}
	if _, ok := labels["conform"]; ok {
		t.Errorf("label still there after delete_tag: %v", labels)
	}
	c.wantError(c.call("DELETE", "/appmesh/label/conform", nil), "delete_tag again", http.StatusNotFound)
}

// amUserKeys are the keys of an App Mesh user.
var amUserKeys = []string{"name", "email", "group", "exec_user", "locked", "mfa_enabled", "roles", "metadata"}

// amConformUsers: update_role, view_roles, add_user, view_users,
// view_self, view_user_permissions, update_password, lock/unlock_user,
// view_permissions, view_groups, delete_user, delete_role.
func amConformUsers(t *testing.T, c *amSDK, a *agent) {
	c.want(c.call("POST", "/appmesh/role/conform-viewer", []string{"app-view", "label-view"}), "update_role", http.StatusOK)
	ans := c.call("GET", "/appmesh/roles", nil)
	if m := c.want(ans, "view_roles", http.StatusOK, "conform-viewer"); len(m["conform-viewer"].([]any)) != 2 {
		t.Errorf("view_roles: %s", ans.body)
	}
	user := map[string]any{"key": "carol's long password", "roles": []string{"conform-viewer"}, "group": "client",
		"email": "", "exec_user": "", "locked": false, "mfa_enabled": false}
	c.want(c.call("PUT", "/appmesh/user/carol", user), "add_user", http.StatusOK)
	ans = c.call("GET", "/appmesh/users", nil)
	if m := c.want(ans, "view_users", http.StatusOK, "carol"); m != nil {
		carol, _ := m["carol"].(map[string]any)
		for _, k := range amUserKeys {
			if _, ok := carol[k]; !ok {
				t.Errorf("view_users: carol lacks %q: %s", k, ans.body)
			}
		}
	}
	perms := c.call("GET", "/appmesh/permissions", nil)
	c.want(perms, "view_permissions", http.StatusOK)
	groups := c.call("GET", "/appmesh/user/groups", nil)
	c.want(groups, "view_groups", http.StatusOK)
	for what, body := range map[string][]byte{"view_permissions": perms.body, "view_groups": groups.body} {
		var list []string
		if err := json.Unmarshal(body, &list); err != nil || len(list) == 0 {
			t.Errorf("%s: want a JSON array of names: %v %s", what, err, body)
		}
	}

	cc := newAMSDK(t, a)
	cc.mustLogin("carol", "carol's long password")
	if m := cc.want(cc.call("GET", "/appmesh/user/self", nil), "view_self", http.StatusOK, amUserKeys...); m["name"] != "carol" {
		t.Errorf("view_self: %v", m)
	}
	ans = cc.call("GET", "/appmesh/user/permissions", nil)
	cc.want(ans, "view_user_permissions", http.StatusOK)
	var held []string
	_ = json.Unmarshal(ans.body, &held)
	if !amHas(held, "app-view") || !amHas(held, "label-view") || amHas(held, "app-reg") {
		t.Errorf("carol's permissions %v: want app-view and label-view, not app-reg", held)
	}
	if ans = cc.call("PUT", "/appmesh/app/carols", map[string]any{"command": "true"}); ans.status != http.StatusForbidden {
		t.Errorf("add_app without app-reg: %d %s, want 403", ans.status, ans.body)
	}
	pw := map[string]string{"old_password": base64.StdEncoding.EncodeToString([]byte("carol's long password")),
		"new_password": base64.StdEncoding.EncodeToString([]byte("carol's newer password"))}
	cc.want(cc.call("POST", "/appmesh/user/self/passwd", pw), "update_password", http.StatusOK)
	cc.wantError(cc.call("GET", "/appmesh/user/self", nil), "view_self with a token of the old password", http.StatusUnauthorized)
	cc.mustLogin("carol", "carol's newer password")

	c.want(c.call("POST", "/appmesh/user/carol/lock", nil), "lock_user", http.StatusOK)
	cc.wantError(cc.login("carol", "carol's newer password", ""), "login of a locked user", http.StatusUnauthorized)
	c.want(c.call("POST", "/appmesh/user/carol/unlock", nil), "unlock_user", http.StatusOK)
	cc.mustLogin("carol", "carol's newer password")

	c.want(c.call("DELETE", "/appmesh/user/carol", nil), "delete_user", http.StatusOK)
	c.wantError(c.call("DELETE", "/appmesh/user/carol", nil), "delete_user again", http.StatusNotFound)
	c.want(c.call("DELETE", "/appmesh/role/conform-viewer", nil), "delete_role", http.StatusOK)
	c.wantError(c.call("DELETE", "/appmesh/role/conform-viewer", nil), "delete_role again", http.StatusNotFound)
}

func amHas(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// amConformTOTP: get_totp_secret, setup_totp, a login answered 428 with a
// challenge, validate_totp, and disable_totp by a manager.
func amConformTOTP(t *testing.T, c *amSDK, a *agent) {
	c.want(c.call("POST", "/appmesh/role/conform-totp", []string{"app-view"}), "update_role", http.StatusOK)
	c.want(c.call("PUT", "/appmesh/user/dave", map[string]any{"key": "dave's long password", "roles": []string{"conform-totp"}}),
		"add_user dave", http.StatusOK)
	dc := newAMSDK(t, a)
	dc.mustLogin("dave", "dave's long password")
	m := dc.want(dc.call("POST", "/appmesh/totp/secret", nil), "get_totp_secret", http.StatusOK, "mfa_uri")
	raw, err := base64.StdEncoding.DecodeString(m["mfa_uri"].(string))
	if err != nil {
		t.Fatalf("mfa_uri is not base64: %v", err)
	}
	uri, err := url.Parse(string(raw))
	secret := ""
	if err == nil {
		secret = uri.Query().Get("secret")
	}
	if uri == nil || uri.Scheme != "otpauth" || secret == "" {
		t.Fatalf("mfa_uri %q: want an otpauth URI with a secret", raw)
	}
	// A code works once: setup takes the previous step's code (still
	// accepted) and the login the current one, so no 30s wait. Near the
	// end of a step, wait for the next so that both stay valid.
	for time.Now().Unix()%30 > 24 {
		time.Sleep(time.Second)
	}
	now := time.Now()
	opts := totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	prev, err1 := totp.GenerateCodeCustom(secret, now.Add(-30*time.Second), opts)
	cur, err2 := totp.GenerateCodeCustom(secret, now, opts)
	if err1 != nil || err2 != nil {
		t.Fatalf("TOTP codes: %v %v", err1, err2)
	}
	ans := dc.call("POST", "/appmesh/totp/setup", nil, "X-Totp-Code", prev)
	dc.checkToken(dc.want(ans, "setup_totp", http.StatusOK, amTokenKeys...), ans, "dave")

	fresh := newAMSDK(t, a)
	ans = fresh.login("dave", "dave's long password", "")
	ch := fresh.want(ans, "login needing TOTP", http.StatusPreconditionRequired,
		"totp_challenge", "status", "algorithm", "digits", "period", "expires", "WWW-Authenticate")
	if ch["status"] != "TOTP_CHALLENGE_REQUIRED" || ans.header.Get("WWW-Authenticate") == "" {
		t.Errorf("428 answer %s, WWW-Authenticate %q", ans.body, ans.header.Get("WWW-Authenticate"))
	}
	body := map[string]any{"user_name": "dave", "totp_code": cur, "totp_challenge": ch["totp_challenge"], "expire_seconds": 604800}
	ans = fresh.call("POST", "/appmesh/totp/validate", body, "X-Set-Cookie", "true")
	fresh.checkToken(fresh.want(ans, "validate_totp", http.StatusOK, amTokenKeys...), ans, "dave")
	fresh.wantError(fresh.call("POST", "/appmesh/totp/validate", body), "validate_totp with a used challenge", http.StatusUnauthorized)

	c.want(c.call("POST", "/appmesh/totp/dave/disable", nil), "disable_totp", http.StatusOK)
	newAMSDK(t, a).mustLogin("dave", "dave's long password")
	c.want(c.call("DELETE", "/appmesh/user/dave", nil), "delete_user dave", http.StatusOK)
	c.want(c.call("DELETE", "/appmesh/role/conform-totp", nil), "delete_role", http.StatusOK)
}

// amConformHost: view_host_resources, view_config, set_log_level,
// get_metrics.
func amConformHost(t *testing.T, c *amSDK) {
	c.want(c.call("GET", "/appmesh/resources", nil), "view_host_resources", http.StatusOK,
		"cpu_cores", "mem_total_bytes", "mem_free_bytes", "load", "fs", "net", "host_name", "systime")
	c.want(c.call("GET", "/appmesh/config", nil), "view_config", http.StatusOK, "BaseConfig", "REST")
	m := c.want(c.call("POST", "/appmesh/config", map[string]any{"BaseConfig": map[string]any{"LogLevel": "DEBUG"}}),
		"set_log_level", http.StatusOK, "BaseConfig")
	if bc, _ := m["BaseConfig"].(map[string]any); bc["LogLevel"] != "DEBUG" {
		t.Errorf("set_log_level answered %v", m)
	}
	ans := c.call("GET", "/appmesh/metrics", nil)
	if c.want(ans, "get_metrics", http.StatusOK); !strings.Contains(string(ans.body), "# TYPE") {
		t.Errorf("get_metrics: not Prometheus text: %.200s", ans.body)
	}
}
