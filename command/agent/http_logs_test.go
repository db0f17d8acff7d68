package agent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

type logRequest struct {
	allocID, task, logType string
	follow                 bool
	offset                 int64
}

// recordLogs makes the backend write content and remember the request.
func recordLogs(b *fakeBackend, content string) *logRequest {
	got := &logRequest{}
	b.logs = func(ctx context.Context, allocID, task, logType string, follow bool, offset int64, w io.Writer) error {
		*got = logRequest{allocID, task, logType, follow, offset}
		if allocID == "missing" {
			return fmt.Errorf("allocation %q not found", allocID)
		}
		_, err := io.WriteString(w, content)
		return err
	}
	return got
}

func TestLogs(t *testing.T) {
	b, h := newTestServer(t)
	got := recordLogs(b, "hello\nworld\n")
	rec := do(t, h, "GET", "/v1/client/fs/logs/alloc-1?task=server&type=stderr&offset=5", "")
	wantStatus(t, rec, 200)
	if rec.Body.String() != "hello\nworld\n" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("body %q headers %v", rec.Body.String(), rec.Header())
	}
	if *got != (logRequest{"alloc-1", "server", "stderr", false, 5}) {
		t.Errorf("request = %+v", *got)
	}

	do(t, h, "GET", "/v1/client/fs/logs/alloc-1?task=server&origin=end&offset=100", "")
	if got.offset != -100 || got.logType != "stdout" {
		t.Errorf("origin=end offset=100: request = %+v, want offset -100 and stdout", *got)
	}
	do(t, h, "GET", "/v1/client/fs/logs/alloc-1?task=server&origin=end", "")
	if got.offset != LogOffsetEnd {
		t.Errorf("origin=end offset=0: offset = %d, want LogOffsetEnd", got.offset)
	}
}

func TestLogsEmptyIs200(t *testing.T) {
	b, h := newTestServer(t)
	recordLogs(b, "")
	rec := do(t, h, "GET", "/v1/client/fs/logs/alloc-1?task=server", "")
	wantStatus(t, rec, 200)
	if rec.Body.Len() != 0 {
		t.Errorf("body = %q", rec.Body.String())
	}
}

func TestLogsErrors(t *testing.T) {
	b, h := newTestServer(t)
	recordLogs(b, "x")
	for _, tc := range []struct {
		query string
		code  int
		want  string
	}{
		{"missing?task=server", 404, `allocation "missing" not found`},
		{"alloc-1", 400, "missing task"},
		{"alloc-1?task=server&type=stdin", 400, `invalid type "stdin"`},
		{"alloc-1?task=server&offset=-3", 400, `invalid offset "-3"`},
		{"alloc-1?task=server&origin=middle", 400, `invalid origin "middle"`},
		{"alloc-1?task=server&follow=often", 400, `invalid follow "often"`},
	} {
		rec := do(t, h, "GET", "/v1/client/fs/logs/"+tc.query, "")
		wantStatus(t, rec, tc.code)
		if msg := errorOf(t, rec); !strings.Contains(msg, tc.want) {
			t.Errorf("%s: message %q, want %q", tc.query, msg, tc.want)
		}
	}
}

// TestLogsFollowFlushes checks that a follower sees each chunk while the
// stream is still open, over a real listener, and that Shutdown ends the
// stream.
func TestLogsFollowFlushes(t *testing.T) {
	b := newFakeBackend()
	next := make(chan struct{})
	b.logs = func(ctx context.Context, allocID, task, logType string, follow bool, offset int64, w io.Writer) error {
		if !follow {
			return errors.New("expected follow=true")
		}
		for i := 1; ; i++ {
			if _, err := fmt.Fprintf(w, "line %d\n", i); err != nil {
				return err
			}
			select {
			case <-next:
			case <-ctx.Done():
				return nil
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewHTTPServer(nil, b, ln)

	resp, err := http.Get("http://" + ln.Addr().String() + "/v1/client/fs/logs/a1?task=t&follow=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	for i := 1; i <= 3; i++ {
		line, err := r.ReadString('\n')
		if err != nil || line != fmt.Sprintf("line %d\n", i) {
			t.Fatalf("read %q, %v; want line %d", line, err, i)
		}
		if i < 3 {
			next <- struct{}{}
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown did not end the stream: %v", err)
	}
	if _, err := io.ReadAll(r); err != nil {
		t.Fatalf("stream did not end cleanly: %v", err)
	}
}
