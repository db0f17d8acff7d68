package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// seen is what the fake agent observed of the last request.
type seen struct {
	method, escapedPath, query, token string
	body                              []byte
	contentType                       string
}

// newFake starts an agent stand-in; handle answers by escaped path.
func newFake(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) (*Client, *seen) {
	t.Helper()
	last := &seen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		*last = seen{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get(TokenHeader), body, r.Header.Get("Content-Type")}
		handle(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(&Config{Address: srv.URL, Token: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	return c, last
}

func reply(w http.ResponseWriter, index string, v any) {
	w.Header().Set(IndexHeader, index)
	w.Header().Set(KnownLeaderHeader, "true")
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func TestDefaultConfigFromEnv(t *testing.T) {
	t.Setenv(EnvAddress, "")
	t.Setenv(EnvToken, "")
	if c := DefaultConfig(); c.Address != DefaultAddress || c.Token != "" {
		t.Fatalf("defaults = %+v", c)
	}
	t.Setenv(EnvAddress, "http://10.0.0.1:7070")
	t.Setenv(EnvToken, "tok")
	if c := DefaultConfig(); c.Address != "http://10.0.0.1:7070" || c.Token != "tok" {
		t.Fatalf("from env = %+v", c)
	}
}

func TestNewClientAddress(t *testing.T) {
	c, err := NewClient(&Config{Address: "127.0.0.1:6060/"})
	if err != nil || c.Address() != "http://127.0.0.1:6060" {
		t.Fatalf("bare host:port: %v %v", c, err)
	}
	for _, bad := range []string{"ftp://x", "http://", "http://[::1"} {
		if _, err := NewClient(&Config{Address: bad}); err == nil {
			t.Errorf("address %q accepted", bad)
		}
	}
}

func TestQueryOptionsAndMeta(t *testing.T) {
	c, last := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		reply(w, "17", []*structs.AllocListStub{{ID: "a1"}})
	})
	allocs, qm, err := c.Allocations().List(&QueryOptions{WaitIndex: 16, WaitTime: 5 * time.Second, AllowStale: true, Prefix: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(allocs) != 1 || allocs[0].ID != "a1" || qm.LastIndex != 17 || !qm.KnownLeader {
		t.Fatalf("allocs %v meta %+v", allocs, qm)
	}
	if last.escapedPath != "/v1/allocations" || last.token != "s3cret" {
		t.Errorf("request %+v", last)
	}
	for _, p := range []string{"index=16", "wait=5s", "stale=true", "prefix=a"} {
		if !strings.Contains(last.query, p) {
			t.Errorf("query %q lacks %q", last.query, p)
		}
	}
}

func TestJobsRegister(t *testing.T) {
	c, last := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		reply(w, "30", &structs.JobRegisterResponse{EvalID: "e1", JobModifyIndex: 30})
	})
	resp, wm, err := c.Jobs().Register(&structs.Job{ID: "web"}, &RegisterOptions{EnforceIndex: true, ModifyIndex: 3})
	if err != nil {
		t.Fatal(err)
	}
	if resp.EvalID != "e1" || wm.LastIndex != 30 {
		t.Fatalf("resp %+v meta %+v", resp, wm)
	}
	if last.method != http.MethodPut || last.escapedPath != "/v1/jobs" {
		t.Errorf("request %s %s", last.method, last.escapedPath)
	}
	var body map[string]any
	if err := json.Unmarshal(last.body, &body); err != nil {
		t.Fatal(err)
	}
	if body["job"].(map[string]any)["id"] != "web" || body["enforce_index"] != true || body["job_modify_index"] != 3.0 {
		t.Errorf("body %s", last.body)
	}
}

func TestJobsPathsEscapeSlashes(t *testing.T) {
	c, last := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.EscapedPath(), "/allocations"):
			reply(w, "1", []*structs.AllocListStub{})
		case strings.HasSuffix(r.URL.EscapedPath(), "/evaluations"):
			reply(w, "1", []*structs.Evaluation{})
		case r.Method == http.MethodDelete:
			reply(w, "2", &structs.JobDeregisterResponse{EvalID: "e2"})
		default:
			reply(w, "1", &structs.Job{ID: "a/periodic-1"})
		}
	})
	job, _, err := c.Jobs().Info("a/periodic-1", nil)
	if err != nil || job.ID != "a/periodic-1" || last.escapedPath != "/v1/job/a%2Fperiodic-1" {
		t.Fatalf("info: %v %v path %s", job, err, last.escapedPath)
	}
	if _, _, err := c.Jobs().Allocations("a/periodic-1", true, nil); err != nil ||
		last.escapedPath != "/v1/job/a%2Fperiodic-1/allocations" || last.query != "all=true" {
		t.Fatalf("allocations: %v %s?%s", err, last.escapedPath, last.query)
	}
	if _, _, err := c.Jobs().Evaluations("web", nil); err != nil || last.escapedPath != "/v1/job/web/evaluations" {
		t.Fatalf("evaluations: %v %s", err, last.escapedPath)
	}
	resp, _, err := c.Jobs().Deregister("web", true)
	if err != nil || resp.EvalID != "e2" || last.method != http.MethodDelete || last.query != "purge=true" {
		t.Fatalf("deregister: %v %v %s ?%s", resp, err, last.method, last.query)
	}
}

func TestStatusErrors(t *testing.T) {
	c, _ := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/job/missing":
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error": "job \"missing\" not found"}`)
		default:
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "upstream down\n")
		}
	})
	_, _, err := c.Jobs().Info("missing", nil)
	if !IsNotFound(err) || err.Error() != `job "missing" not found` {
		t.Fatalf("404: %v (not found: %v)", err, IsNotFound(err))
	}
	_, _, err = c.Nodes().List(nil)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 502 || se.Message != "upstream down" || IsNotFound(err) {
		t.Fatalf("502: %#v", err)
	}
}

func TestUnreachableAgent(t *testing.T) {
	c, err := NewClient(&Config{Address: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Status().Leader()
	if err == nil || !strings.Contains(err.Error(), "cannot reach the appmesh agent at http://127.0.0.1:1") {
		t.Fatalf("err = %v", err)
	}
}

func TestReadsOfOtherEndpoints(t *testing.T) {
	c, last := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/status/leader":
			reply(w, "0", "127.0.0.1:6061")
		case "/v1/status/peers":
			reply(w, "0", []string{"127.0.0.1:6061"})
		case "/v1/agent/self":
			reply(w, "0", map[string]any{"version": "0.1.0"})
		case "/v1/node/n1":
			reply(w, "4", &structs.Node{ID: "n1"})
		case "/v1/evaluation/e1":
			reply(w, "5", &structs.Evaluation{ID: "e1"})
		case "/v1/allocation/a1":
			reply(w, "6", &structs.Allocation{ID: "a1"})
		default:
			reply(w, "7", []any{})
		}
	})
	if l, err := c.Status().Leader(); err != nil || l != "127.0.0.1:6061" {
		t.Errorf("leader %q %v", l, err)
	}
	if p, err := c.Status().Peers(); err != nil || len(p) != 1 {
		t.Errorf("peers %v %v", p, err)
	}
	if s, err := c.Agent().Self(); err != nil || s["version"] != "0.1.0" {
		t.Errorf("self %v %v", s, err)
	}
	if n, qm, err := c.Nodes().Info("n1", nil); err != nil || n.ID != "n1" || qm.LastIndex != 4 {
		t.Errorf("node %v %v", n, err)
	}
	if e, _, err := c.Evaluations().Info("e1", nil); err != nil || e.ID != "e1" {
		t.Errorf("eval %v %v", e, err)
	}
	if a, _, err := c.Allocations().Info("a1", nil); err != nil || a.ID != "a1" {
		t.Errorf("alloc %v %v", a, err)
	}
	if _, _, err := c.Evaluations().List(&QueryOptions{Prefix: "e"}); err != nil || last.query != "prefix=e" {
		t.Errorf("eval list %v ?%s", err, last.query)
	}
}

func TestLogs(t *testing.T) {
	c, last := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/client/fs/logs/missing" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error": "allocation \"missing\" not found"}`)
			return
		}
		_, _ = io.WriteString(w, "hello\n")
	})
	rc, err := c.Allocations().Logs(context.Background(), "a1", "server", LogStderr, true, 10, OriginEnd)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if string(data) != "hello\n" {
		t.Errorf("logs = %q", data)
	}
	for _, p := range []string{"task=server", "type=stderr", "follow=true", "offset=10", "origin=end"} {
		if !strings.Contains(last.query, p) {
			t.Errorf("query %q lacks %q", last.query, p)
		}
	}
	if _, err := c.Allocations().Logs(context.Background(), "missing", "t", "", false, 0, ""); !IsNotFound(err) {
		t.Errorf("missing alloc: %v", err)
	}
	if _, err := c.Allocations().Logs(context.Background(), "a1", "t", "", false, -1, ""); err == nil {
		t.Error("negative offset accepted")
	}
}

// TestWritesDeclareTheirContentType: the agent refuses a write whose body
// has no Content-Type or one a web page may send (text/plain, forms), so
// every SDK call with a body names its type.
func TestWritesDeclareTheirContentType(t *testing.T) {
	c, last := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		reply(w, "1", map[string]any{"restored": true})
	})
	ctx := context.Background()
	for _, tc := range []struct {
		name, want string
		call       func() error
	}{
		{"register", "application/json", func() error {
			_, _, err := c.Jobs().Register(&structs.Job{ID: "web"}, nil)
			return err
		}},
		{"dispatch", "application/json", func() error {
			_, _, err := c.Jobs().Dispatch("batch", map[string]string{"k": "v"}, []byte("payload"))
			return err
		}},
		{"signal", "application/json", func() error { return c.Allocations().Signal("a1", "t", "SIGHUP") }},
		{"snapshot restore", "application/octet-stream", func() error {
			return c.Operator().SnapshotRestore(ctx, strings.NewReader(SnapshotMagic+"v1 {}"))
		}},
		{"stdin", "application/octet-stream", func() error { return c.Allocations().Stdin(ctx, "a1", "t", strings.NewReader("in")) }},
		{"deregister (no body)", "", func() error {
			_, _, err := c.Jobs().Deregister("web", false)
			return err
		}},
	} {
		if err := tc.call(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if last.contentType != tc.want {
			t.Errorf("%s: %s with body %q sent Content-Type %q, want %q", tc.name, last.method, last.body, last.contentType, tc.want)
		}
		if tc.want == "" && len(last.body) != 0 {
			t.Errorf("%s: sent a body %q without a Content-Type", tc.name, last.body)
		}
	}
}

func TestJobsParse(t *testing.T) {
	c, last := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		reply(w, "", map[string]any{"job": &structs.Job{ID: "web", Namespace: "default"}})
	})
	job, err := c.Jobs().Parse(&ParseRequest{Source: "job \"web\" {}", Variables: map[string]string{"a": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if job == nil || job.ID != "web" {
		t.Fatalf("job %+v", job)
	}
	if last.method != http.MethodPost || last.escapedPath != "/v1/jobs/parse" {
		t.Errorf("request %s %s", last.method, last.escapedPath)
	}
	var body map[string]any
	if err := json.Unmarshal(last.body, &body); err != nil {
		t.Fatal(err)
	}
	if body["source"] != "job \"web\" {}" || body["variables"].(map[string]any)["a"] != "b" {
		t.Errorf("body %s", last.body)
	}
}
