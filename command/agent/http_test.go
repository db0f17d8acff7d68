package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// fakeBackend records RPC calls and answers them with per-method handlers.
type fakeBackend struct {
	mu       sync.Mutex
	calls    []rpcCall
	handlers map[string]func(args, reply any) error
	logs     func(ctx context.Context, allocID, task, logType string, follow bool, offset int64, w io.Writer) error
	self     map[string]any
}

type rpcCall struct {
	method string
	args   any
}

// newFakeBackend answers ACL.Authorize with "allowed", as servers with
// ACLs disabled do; the real decisions are tested against real agents.
func newFakeBackend() *fakeBackend {
	f := &fakeBackend{handlers: map[string]func(args, reply any) error{}}
	f.on(structs.ACLAuthorizeRPC, func(args, reply any) error { return nil })
	return f
}

func (f *fakeBackend) on(method string, fn func(args, reply any) error) {
	f.handlers[method] = fn
}

func (f *fakeBackend) RPC(method string, args, reply any) error {
	f.mu.Lock()
	f.calls = append(f.calls, rpcCall{method: method, args: args})
	fn := f.handlers[method]
	f.mu.Unlock()
	if fn == nil {
		return fmt.Errorf("fake backend: unexpected RPC %s", method)
	}
	return fn(args, reply)
}

func (f *fakeBackend) StreamLogs(ctx context.Context, allocID, task, logType string, follow bool, offset int64, w io.Writer) error {
	if f.logs == nil {
		return errors.New("fake backend: no logs")
	}
	return f.logs(ctx, allocID, task, logType, follow, offset, w)
}

func (f *fakeBackend) Self() map[string]any { return f.self }

func (f *fakeBackend) recorded() []rpcCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]rpcCall(nil), f.calls...)
}

// lastArgs returns the arguments of the last call of method.
func (f *fakeBackend) lastArgs(t *testing.T, method string) any {
	t.Helper()
	calls := f.recorded()
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].method == method {
			return calls[i].args
		}
	}
	t.Fatalf("no %s call recorded; calls: %v", method, calls)
	return nil
}

func newTestServer(t *testing.T) (*fakeBackend, http.Handler) {
	t.Helper()
	b := newFakeBackend()
	s := NewHTTPServer(nil, b, nil)
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return b, s.Handler()
}

func do(t *testing.T, h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := localRequest(method, path, rd)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// localRequest is a request as curl or the SDK sends it to a local agent:
// Host 127.0.0.1:6060 (httptest's default example.com is not the agent's,
// see http_guard.go) and, with a body, Content-Type: application/json.
func localRequest(method, path string, body io.Reader) *http.Request {
	req := httptest.NewRequest(method, path, body)
	req.Host = "127.0.0.1:6060"
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// errorOf decodes a JSON error body, failing the test when it is not one.
func errorOf(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error content type = %q, want application/json; body %q", ct, rec.Body.String())
	}
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
		t.Fatalf("body %q is not a JSON error: %v", rec.Body.String(), err)
	}
	return e.Error
}

func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, code int) {
	t.Helper()
	if rec.Code != code {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, code, rec.Body.String())
	}
}

func TestUnknownRouteIs404JSON(t *testing.T) {
	_, h := newTestServer(t)
	rec := do(t, h, "GET", "/v1/nope", "")
	wantStatus(t, rec, http.StatusNotFound)
	if msg := errorOf(t, rec); !strings.Contains(msg, "/v1/nope") {
		t.Fatalf("message %q does not name the path", msg)
	}
}

func TestWrongMethodIs405JSON(t *testing.T) {
	_, h := newTestServer(t)
	for _, tc := range []struct{ method, path, allow string }{
		{"POST", "/v1/allocations", "GET"},
		{"DELETE", "/v1/jobs", "GET, POST, PUT"},
		{"PATCH", "/v1/job/web", "DELETE, GET, POST, PUT"}, // POST: /v1/job/<id>/promote and /scale
		{"DELETE", "/v1/job/web/allocations", "GET"},
		{"PUT", "/v1/status/leader", "GET"},
	} {
		rec := do(t, h, tc.method, tc.path, "")
		wantStatus(t, rec, http.StatusMethodNotAllowed)
		errorOf(t, rec)
		if got := rec.Header().Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow = %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
}

// POST under /v1/job/ is only for /promote and /scale (Nomad's method for
// them).
func TestJobPostOnlyPromoteAndScale(t *testing.T) {
	_, h := newTestServer(t)
	rec := do(t, h, "POST", "/v1/job/web", "")
	wantStatus(t, rec, http.StatusMethodNotAllowed)
	if msg := errorOf(t, rec); !strings.Contains(msg, "is for /v1/job/<id>/promote and /v1/job/<id>/scale") {
		t.Fatalf("message %q", msg)
	}
}

func TestErrorStatusMapping(t *testing.T) {
	b, h := newTestServer(t)
	for _, tc := range []struct {
		err  error
		code int
		msg  string
	}{
		{&structs.ValidationError{Problems: []string{"bad prefix"}}, 400, "bad prefix"},
		{errors.New("invalid: prefix too long"), 400, "prefix too long"},
		{fmt.Errorf("job %q: %w", "x", structs.ErrNotFound), 404, `job "x": not found`},
		{structs.ErrPermissionDenied, 403, "permission denied"},
		{structs.ErrNoLeader, 503, "no cluster leader"},
		{errors.New("disk on fire"), 500, "disk on fire"},
	} {
		b.on(structs.JobListRPC, func(args, reply any) error { return tc.err })
		rec := do(t, h, "GET", "/v1/jobs", "")
		wantStatus(t, rec, tc.code)
		if msg := errorOf(t, rec); msg != tc.msg {
			t.Errorf("error %v: message %q, want %q", tc.err, msg, tc.msg)
		}
	}
}

func TestStatusEndpoints(t *testing.T) {
	b, h := newTestServer(t)
	b.on(structs.StatusLeaderRPC, func(args, reply any) error {
		*reply.(*string) = "127.0.0.1:6061"
		return nil
	})
	b.on(structs.StatusPeersRPC, func(args, reply any) error {
		reply.(*structs.StatusPeersResponse).Peers = []string{"127.0.0.1:6061", "127.0.0.2:6061"}
		return nil
	})
	rec := do(t, h, "GET", "/v1/status/leader", "")
	wantStatus(t, rec, 200)
	if got := strings.TrimSpace(rec.Body.String()); got != `"127.0.0.1:6061"` {
		t.Fatalf("leader body = %s", got)
	}
	rec = do(t, h, "GET", "/v1/status/peers", "")
	wantStatus(t, rec, 200)
	if got := strings.TrimSpace(rec.Body.String()); got != `["127.0.0.1:6061","127.0.0.2:6061"]` {
		t.Fatalf("peers body = %s", got)
	}
}

func TestAgentSelf(t *testing.T) {
	b, h := newTestServer(t)
	b.self = map[string]any{"version": "0.1.0", "server": true}
	rec := do(t, h, "GET", "/v1/agent/self", "")
	wantStatus(t, rec, 200)
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got["version"] != "0.1.0" {
		t.Fatalf("self = %s (%v)", rec.Body.String(), err)
	}
}
