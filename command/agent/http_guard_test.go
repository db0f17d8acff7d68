package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
)

// guardCase is one request to the guarded handler.
type guardCase struct {
	name        string
	method      string
	path        string
	host        string // default 127.0.0.1:6060
	contentType string
	body        string
	header      map[string]string
	code        int    // the status wanted
	msg         string // a snippet of the refusal's error, if refused
}

func (tc guardCase) request() *http.Request {
	var rd io.Reader
	if tc.body != "" {
		rd = strings.NewReader(tc.body)
	}
	req := httptest.NewRequest(tc.method, tc.path, rd)
	req.Host = "127.0.0.1:6060"
	if tc.host != "" {
		req.Host = tc.host
	}
	if tc.contentType != "" {
		req.Header.Set("Content-Type", tc.contentType)
	}
	for k, v := range tc.header {
		req.Header.Set(k, v)
	}
	return req
}

func TestHTTPGuard(t *testing.T) {
	const job = validJobBody
	cases := []guardCase{
		// Simple writes: refused whatever their origin, and nothing reaches the servers.
		{name: "text/plain POST", method: "POST", path: "/v1/jobs", contentType: "text/plain", body: job, code: 415, msg: "Content-Type: application/json"},
		{name: "text/plain with charset", method: "PUT", path: "/v1/jobs", contentType: "Text/Plain; charset=utf-8", body: job, code: 415, msg: `not Content-Type "Text/Plain; charset=utf-8"`},
		{name: "form POST", method: "POST", path: "/v1/jobs", contentType: "application/x-www-form-urlencoded", body: job, code: 415},
		{name: "multipart POST", method: "POST", path: "/v1/jobs", contentType: "multipart/form-data; boundary=x", body: job, code: 415},
		{name: "body without Content-Type", method: "POST", path: "/v1/jobs", body: job, code: 415, msg: "not no Content-Type"},
		{name: "bodyless text/plain POST", method: "POST", path: "/v1/client/allocation/a1/restart", contentType: "text/plain", code: 415},
		{name: "text/plain DELETE", method: "DELETE", path: "/v1/job/web", contentType: "text/plain", body: "x", code: 415},
		{name: "<a ping> POST", method: "POST", path: "/v1/agent/join?address=evil.example:6062", contentType: "text/ping", body: "PING", code: 415},
		{name: "other odd type", method: "PUT", path: "/v1/jobs", contentType: "application/xml", body: job, code: 415},
		{name: "cross-origin text/plain POST", method: "POST", path: "/v1/jobs", contentType: "text/plain", body: job,
			header: map[string]string{"Origin": "http://evil.example"}, code: 403, msg: `origin "http://evil.example"`},

		// Foreign origins: refused on reads and writes.
		{name: "foreign Origin GET", method: "GET", path: "/v1/jobs", header: map[string]string{"Origin": "http://evil.example"}, code: 403, msg: "allowed_origins"},
		{name: "foreign Origin JSON POST", method: "POST", path: "/v1/jobs", contentType: "application/json", body: job,
			header: map[string]string{"Origin": "https://evil.example"}, code: 403},
		{name: "Origin null", method: "GET", path: "/v1/jobs", header: map[string]string{"Origin": "null"}, code: 403},
		{name: "other port of the same host", method: "GET", path: "/v1/jobs", header: map[string]string{"Origin": "http://127.0.0.1:8080"}, code: 403},
		{name: "https origin of an http agent", method: "GET", path: "/v1/jobs", header: map[string]string{"Origin": "https://127.0.0.1:6060"}, code: 403},
		{name: "no-cors subresource from another site", method: "GET", path: "/v1/jobs",
			header: map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}, code: 403, msg: "Sec-Fetch-Site: cross-site"},
		{name: "bodyless POST marked same-site", method: "POST", path: "/v1/client/allocation/a1/restart",
			header: map[string]string{"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors"}, code: 403},

		// DNS rebinding: a name that is not the agent's.
		{name: "rebinding Host GET", method: "GET", path: "/v1/jobs", host: "evil.example:6060", code: 403, msg: `Host "evil.example:6060" is not this agent's`},
		{name: "rebinding Host same-origin JSON POST", method: "POST", path: "/v1/jobs", host: "evil.example:6060", contentType: "application/json", body: job,
			header: map[string]string{"Origin": "http://evil.example:6060"}, code: 403, msg: "allowed_hosts"},
		{name: "subdomain of an allowed host", method: "GET", path: "/v1/jobs", host: "x.appmesh.internal", code: 403},

		// What must keep working.
		{name: "JSON POST without Origin", method: "POST", path: "/v1/jobs", contentType: "application/json", body: job, code: 200},
		{name: "JSON PUT with charset", method: "PUT", path: "/v1/jobs", contentType: "application/json; charset=utf-8", body: job, code: 200},
		{name: "octet-stream is a write type", method: "PUT", path: "/v1/jobs", contentType: "Application/Octet-Stream", body: job, code: 200},
		{name: "JSON POST from the same origin", method: "POST", path: "/v1/jobs", contentType: "application/json", body: job,
			header: map[string]string{"Origin": "http://127.0.0.1:6060", "Sec-Fetch-Site": "same-origin"}, code: 200},
		{name: "JSON POST from an allowed origin", method: "POST", path: "/v1/jobs", contentType: "application/json", body: job,
			header: map[string]string{"Origin": "https://UI.example.com", "Sec-Fetch-Site": "cross-site"}, code: 200},
		{name: "bodyless DELETE without Content-Type", method: "DELETE", path: "/v1/job/web", code: 200},
		{name: "GET navigation from another site", method: "GET", path: "/v1/jobs",
			header: map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}, code: 200},
		{name: "GET typed in the address bar", method: "GET", path: "/v1/jobs", header: map[string]string{"Sec-Fetch-Site": "none"}, code: 200},
		{name: "localhost", method: "GET", path: "/v1/jobs", host: "localhost:6060", code: 200},
		{name: "localhost, upper case with a dot", method: "GET", path: "/v1/jobs", host: "LOCALHOST.:6060", code: 200},
		{name: "IPv6 literal", method: "GET", path: "/v1/jobs", host: "[::1]:6060", code: 200},
		{name: "IPv4 literal without port", method: "GET", path: "/v1/jobs", host: "10.1.2.3", code: 200},
		{name: "node name", method: "GET", path: "/v1/jobs", host: "node-7:6060", code: 200},
		{name: "allowed host", method: "GET", path: "/v1/jobs", host: "appmesh.internal", code: 200},
		{name: "allowed host with the same origin", method: "GET", path: "/v1/jobs", host: "appmesh.internal:6060",
			header: map[string]string{"Origin": "http://appmesh.internal:6060"}, code: 200},
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		cases = append(cases, guardCase{name: "machine hostname", method: "GET", path: "/v1/jobs", host: h + ":6060", code: 200})
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newFakeBackend()
			onRegister(b)
			b.on(structs.JobListRPC, func(args, reply any) error { return nil })
			b.on(structs.JobDeregisterRPC, func(args, reply any) error { return nil })
			cfg := &HTTPConfig{AllowedHosts: []string{"appmesh.internal"}, AllowedOrigins: []string{"https://ui.example.com"}}
			s := NewHTTPServer(nil, b, nil, WithHTTPConfig(cfg, "Node-7"))
			t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, tc.request())
			wantStatus(t, rec, tc.code)
			if tc.code == 200 {
				if len(b.recorded()) == 0 {
					t.Fatal("accepted, but no RPC reached the backend")
				}
				return
			}
			msg := errorOf(t, rec)
			if !strings.Contains(msg, tc.msg) {
				t.Errorf("error %q does not contain %q", msg, tc.msg)
			}
			if calls := b.recorded(); len(calls) != 0 {
				t.Errorf("refused, yet the backend got %v", calls)
			}
		})
	}
}

func TestHTTPConfigValidation(t *testing.T) {
	cfg := DevConfig()
	cfg.HTTP.AllowedHosts = []string{"ok.example", "ok.example:8080", "*", "http://x.example"}
	cfg.HTTP.AllowedOrigins = []string{"https://ui.example", "http://ui.example:3000/", "ui.example", "*", "https://ui.example/path"}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("invalid http block accepted")
	}
	for _, want := range []string{`allowed host "*"`, `allowed host "http://x.example"`, `origin "ui.example"`, `origin "*"`, `origin "https://ui.example/path"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
	for _, ok := range []string{`"ok.example"`, `"https://ui.example"`, `"http://ui.example:3000/"`} {
		if strings.Contains(err.Error(), ok) {
			t.Errorf("valid entry %s refused:\n%v", ok, err)
		}
	}
}

// startGuardTestAgent starts a real dev agent (server and client, raw_exec
// on) with the given http block.
func startGuardTestAgent(t *testing.T, httpCfg *HTTPConfig) (*Agent, *api.Client) {
	t.Helper()
	cfg := DevConfig()
	cfg.Name = "guarded"
	cfg.LogLevel = "ERROR"
	cfg.HTTP = httpCfg
	cfg.Ports.HTTP, cfg.Ports.RPC, cfg.Ports.Gossip = freeTCPPort(t), freeTCPPort(t), freeTCPPort(t)
	logger := hclog.New(&hclog.LoggerOptions{Name: "guarded", Level: hclog.Error, Output: os.Stderr})
	a, err := NewAgent(cfg, logger)
	if err != nil {
		t.Fatalf("start agent: %v", err)
	}
	t.Cleanup(func() { _ = a.Shutdown() })
	c, err := api.NewClient(&api.Config{Address: "http://" + a.HTTPAddr()})
	if err != nil {
		t.Fatal(err)
	}
	return a, c
}

// TestHTTPGuardOnDevAgent attacks a real dev agent as a web page would and
// checks that no job appears, then that the SDK and same-origin callers
// still work.
func TestHTTPGuardOnDevAgent(t *testing.T) {
	a, c := startGuardTestAgent(t, &HTTPConfig{AllowedOrigins: []string{"http://ui.example:8080"}})
	base := "http://" + a.HTTPAddr()
	// The payload of the attack in issue 12: run `id` as root through raw_exec.
	jobBody := func(id string) string {
		return fmt.Sprintf(`{"job":{"id":%q,"type":"batch","groups":[{"name":"g","tasks":[{"name":"t","driver":"raw_exec",
		  "config":{"command":"/bin/sh","args":["-c","id"]}}]}]}}`, id)
	}
	send := func(t *testing.T, method, path, host string, header map[string]string, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	noJobs := func(t *testing.T) {
		t.Helper()
		jobs, _, err := c.Jobs().List(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) != 0 {
			t.Fatalf("a refused request wrote: jobs %v", jobs)
		}
	}

	for _, tc := range []struct {
		name   string
		host   string
		header map[string]string
		code   int
	}{
		{"cross-origin text/plain POST", "", map[string]string{"Content-Type": "text/plain;charset=UTF-8", "Origin": "http://evil.example"}, 403},
		{"text/plain POST without Origin", "", map[string]string{"Content-Type": "text/plain"}, 415},
		{"form POST", "", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415},
		{"rebound name, JSON, same-origin", "evil.example:" + portOf(t, base), map[string]string{
			"Content-Type": "application/json", "Origin": "http://evil.example:" + portOf(t, base)}, 403},
		{"foreign origin, JSON", "", map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example"}, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := send(t, http.MethodPost, "/v1/jobs", tc.host, tc.header, jobBody("pwned"))
			if code != tc.code || !strings.Contains(body, `"error"`) {
				t.Fatalf("status %d body %s, want %d with a JSON error", code, body, tc.code)
			}
			noJobs(t)
		})
	}

	t.Run("websocket exec from a foreign origin", func(t *testing.T) {
		code, msg := dialExec(t, base, "http://evil.example")
		if code != http.StatusForbidden || !strings.Contains(msg, "allowed_origins") {
			t.Fatalf("handshake answered %d %s, want 403 naming allowed_origins", code, msg)
		}
	})
	t.Run("websocket exec from an allowed origin", func(t *testing.T) {
		// The upgrade succeeds (the unknown allocation is reported inside the session).
		if code, msg := dialExec(t, base, "http://ui.example:8080"); code != http.StatusSwitchingProtocols {
			t.Fatalf("handshake answered %d %s, want 101", code, msg)
		}
	})

	t.Run("same-origin JSON POST", func(t *testing.T) {
		code, body := send(t, http.MethodPost, "/v1/jobs", "", map[string]string{
			"Content-Type": "application/json", "Origin": base, "Sec-Fetch-Site": "same-origin"}, jobBody("same-origin"))
		if code != 200 {
			t.Fatalf("status %d body %s", code, body)
		}
	})
	t.Run("SDK", func(t *testing.T) {
		job := &structs.Job{ID: "sdk", Type: "batch", Groups: []*structs.TaskGroup{{Name: "g", Tasks: []*structs.Task{{
			Name: "t", Driver: "raw_exec", Config: map[string]any{"command": "/bin/true"}}}}}}
		if _, _, err := c.Jobs().Register(job, nil); err != nil {
			t.Fatalf("register: %v", err)
		}
		if _, _, err := c.Jobs().Deregister("sdk", true); err != nil {
			t.Fatalf("deregister (a bodyless DELETE): %v", err)
		}
		var snap strings.Builder
		if err := c.Operator().SnapshotSave(context.Background(), &snap); err != nil {
			t.Fatalf("snapshot save: %v", err)
		}
		if err := c.Operator().SnapshotRestore(context.Background(), strings.NewReader(snap.String())); err != nil {
			t.Fatalf("snapshot restore (application/octet-stream): %v", err)
		}
	})
}

func portOf(t *testing.T, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

// dialExec opens the interactive exec WebSocket as a browser page of
// origin would, and returns the handshake's status and body.
func dialExec(t *testing.T, base, origin string) (int, string) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(base, "http") + "/v1/client/allocation/6b4f1f4e-0000-4000-8000-000000000000/exec?command=" +
		url.QueryEscape(`["/bin/sh","-c","id"]`)
	ws, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {origin}})
	if err == nil {
		ws.Close()
		return resp.StatusCode, ""
	}
	if resp == nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if !errors.Is(err, websocket.ErrBadHandshake) {
		t.Fatalf("dial: %v", err)
	}
	return resp.StatusCode, string(data)
}

// FuzzHTTPGuardCheck feeds the guard Host and Origin headers no browser
// would send: it must answer each (allow or refuse), never panic, and never
// allow a foreign Origin.
func FuzzHTTPGuardCheck(f *testing.F) {
	for _, seed := range [][2]string{
		{"127.0.0.1:6060", "http://127.0.0.1:6060"},
		{"[", "http://["},
		{"[::1", "http://[::1"},
		{"]:", "http://]:"},
		{":", "http://:"},
		{"%zz", "http://%zz"},
		{"a/b", "http://a/b"},
		{"user@host", "http://user@host"},
		{"localhost:99999999999999999999", "http://localhost:99999999999999999999"},
		{"\x00\xff", "\x00\xff"},
		{"", "null"},
		{"localhost:6060", "http://localhost:6060/../x?y#z"},
		{"evil.example", "evil.example"},
		{strings.Repeat("a.", 5000), "https://" + strings.Repeat("[", 100)},
	} {
		f.Add(seed[0], seed[1])
	}
	g := newHTTPGuard(hclog.NewNullLogger(), &HTTPConfig{AllowedOrigins: []string{"https://ui.example.com"}}, "node-7")
	f.Fuzz(func(t *testing.T, host, origin string) {
		r := &http.Request{Method: http.MethodGet, Host: host, URL: &url.URL{Path: "/v1/jobs"},
			Header: http.Header{"Origin": []string{origin}}}
		code, msg := g.check(r)
		if code != 0 && msg == "" {
			t.Fatalf("refused with status %d but no message", code)
		}
		if code == 0 && origin != "" && origin != "https://ui.example.com" {
			// Allowed: it must then be the request's own origin.
			own, err := parseOrigin("http://" + host)
			if norm, err2 := parseOrigin(origin); err != nil || err2 != nil || own != norm {
				t.Fatalf("allowed Origin %q for Host %q", origin, host)
			}
		}
	})
}

// BenchmarkHTTPGuardCheck measures the guard's cost on every request: a
// plain API call, and one from a browser page with an Origin.
func BenchmarkHTTPGuardCheck(b *testing.B) {
	g := newHTTPGuard(hclog.NewNullLogger(), &HTTPConfig{AllowedHosts: []string{"appmesh.internal"}}, "node-7")
	for _, bc := range []struct {
		name   string
		header http.Header
	}{
		{"no origin", http.Header{}},
		{"same origin", http.Header{"Origin": []string{"http://appmesh.internal:6060"}}},
	} {
		r := &http.Request{Method: http.MethodGet, Host: "appmesh.internal:6060", URL: &url.URL{Path: "/v1/jobs"}, Header: bc.header}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if code, msg := g.check(r); code != 0 {
					b.Fatal(msg)
				}
			}
		})
	}
}
