package agent

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// opsBackend adds AllocOps to the fake backend; only allocation "here"
// is on this node.
type opsBackend struct {
	*fakeBackend
	calls []string
}

func (b *opsBackend) check(allocID string) error {
	if allocID != "here" {
		return fmt.Errorf("allocation %q is not running on this agent's node: %w", allocID, structs.ErrNotFound)
	}
	return nil
}

func (b *opsBackend) SignalAlloc(_ context.Context, allocID, task, signal string) error {
	b.calls = append(b.calls, "signal "+task+" "+signal)
	return b.check(allocID)
}

func (b *opsBackend) RestartAlloc(_ context.Context, allocID, task string) error {
	b.calls = append(b.calls, "restart "+task)
	return b.check(allocID)
}

func (b *opsBackend) ExecAlloc(_ context.Context, allocID, task string, cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
	if err := b.check(allocID); err != nil {
		return nil, err
	}
	return &drivers.ExecResult{Stdout: []byte(strings.Join(cmd, " ")), ExitCode: 3}, nil
}

func (b *opsBackend) AllocStats(_ context.Context, allocID, task string) (map[string]*drivers.TaskResourceUsage, error) {
	if err := b.check(allocID); err != nil {
		return nil, err
	}
	return map[string]*drivers.TaskResourceUsage{"web": {CPUPercent: 12.5, MemoryRSSBytes: 1 << 20}}, nil
}

func TestHTTP_AllocOps(t *testing.T) {
	b := &opsBackend{fakeBackend: newFakeBackend()}
	h := NewHTTPServer(nil, b, nil).Handler()
	do := func(method, path, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, localRequest(method, path, strings.NewReader(body)))
		return rec
	}
	if rec := do(http.MethodPost, "/v1/client/allocation/here/signal", `{"task":"web","signal":"SIGHUP"}`); rec.Code != 200 {
		t.Fatalf("signal: %d %s", rec.Code, rec.Body)
	}
	if rec := do(http.MethodPost, "/v1/client/allocation/here/restart", ``); rec.Code != 200 {
		t.Fatalf("restart without body: %d %s", rec.Code, rec.Body)
	}
	if strings.Join(b.calls, ",") != "signal web SIGHUP,restart " {
		t.Fatalf("calls %q", b.calls)
	}
	rec := do(http.MethodPost, "/v1/client/allocation/here/exec", `{"command":["echo","hi"]}`)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"stdout":"echo hi"`) || !strings.Contains(rec.Body.String(), `"exit_code":3`) {
		t.Fatalf("exec: %d %s", rec.Code, rec.Body)
	}
	if rec := do(http.MethodPost, "/v1/client/allocation/here/exec", `{"command":[]}`); rec.Code != 400 {
		t.Fatalf("exec without command: %d %s", rec.Code, rec.Body)
	}
	if rec := do(http.MethodGet, "/v1/client/allocation/here/stats", ``); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"cpu_percent":12.5`) {
		t.Fatalf("stats: %d %s", rec.Code, rec.Body)
	}
	rec = do(http.MethodPost, "/v1/client/allocation/elsewhere/signal", `{}`)
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), "not running on this agent's node") {
		t.Fatalf("remote alloc: %d %s", rec.Code, rec.Body)
	}
	if rec := do(http.MethodPost, "/v1/client/allocation/here/signal", `{"sig":"x"}`); rec.Code != 400 {
		t.Fatalf("unknown field: %d %s", rec.Code, rec.Body)
	}
}

func TestHTTP_AllocOpsUnsupportedBackend(t *testing.T) {
	h := NewHTTPServer(nil, newFakeBackend(), nil).Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, localRequest(http.MethodGet, "/v1/client/allocation/x/stats", nil))
	if rec.Code != http.StatusNotImplemented {
		t.Fatalf("want 501, got %d %s", rec.Code, rec.Body)
	}
}
