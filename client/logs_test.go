package client

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/structs"
)

// writeLog puts a log file of a (destroyed) allocation on disk.
func writeLog(t *testing.T, c *Client, allocID, content string) {
	t.Helper()
	dir, err := allocdir.New(c.cfg.DataDir, allocID)
	if err != nil {
		t.Fatal(err)
	}
	if err := dir.Build(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir.LogPath("web", allocdir.LogStdout), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLogs_Offsets(t *testing.T) {
	srv := newTestServer(t)
	c, err := New(&Config{DataDir: t.TempDir(), RPC: srv, Drivers: NewInProcessDriverManager(nil)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()
	id := structs.GenerateID()
	writeLog(t, c, id, "hello world\n")

	cases := []struct {
		offset int64
		want   string
	}{{0, "hello world\n"}, {6, "world\n"}, {-3, "ld\n"}, {-100, "hello world\n"}, {100, ""}}
	for _, tc := range cases {
		var buf bytes.Buffer
		if err := c.StreamLogs(context.Background(), id, "web", "stdout", false, tc.offset, &buf); err != nil {
			t.Fatalf("offset %d: %v", tc.offset, err)
		}
		if buf.String() != tc.want {
			t.Errorf("offset %d: got %q, want %q", tc.offset, buf.String(), tc.want)
		}
	}
	// Following a finished task returns once everything was written.
	var buf bytes.Buffer
	if err := c.StreamLogs(context.Background(), id, "web", "stdout", true, 0, &buf); err != nil || buf.String() != "hello world\n" {
		t.Fatalf("follow of a dead task: %q, %v", buf.String(), err)
	}

	bad := []struct{ alloc, task, typ, want string }{
		{id, "web", "stdin", "invalid: log type"},
		{structs.GenerateID(), "web", "stdout", "not on this node"},
		{"../..", "web", "stdout", "not on this node"},
		{id, "nope", "stdout", `no task "nope"`},
		{id, "../alloc", "stdout", "no task"},
	}
	for _, b := range bad {
		_, err := c.LogPath(b.alloc, b.task, b.typ)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("LogPath(%q, %q, %q) = %v, want error containing %q", b.alloc, b.task, b.typ, err, b.want)
		}
	}
	if _, err := c.LogPath(structs.GenerateID(), "web", "stdout"); !structs.IsNotFound(err) {
		t.Errorf("unknown alloc should be not found: %v", err)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	ch  chan struct{}
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.ch <- struct{}{}
	defer func() { <-s.ch }()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.ch <- struct{}{}
	defer func() { <-s.ch }()
	return s.buf.String()
}

func TestLogs_FollowLiveTask(t *testing.T) {
	srv := newTestServer(t)
	c := newTestClient(t, srv, t.TempDir())
	job := shJob("printer", `for i in 1 2 3; do echo line$i; sleep 0.2; done`)
	srv.addJob(job)
	alloc := newAlloc(c, job)
	srv.upsertAlloc(alloc)
	waitFor(t, "runner", func() bool { return c.runner(alloc.ID) != nil })

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var buf bytes.Buffer
	if err := c.StreamLogs(ctx, alloc.ID, "web", "stdout", true, 0, &buf); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("follow did not end with the task")
	}
	if buf.String() != "line1\nline2\nline3\n" {
		t.Fatalf("followed %q", buf.String())
	}
	p, err := c.LogPath(alloc.ID, "web", "stderr")
	if err != nil || filepath.Base(p) != "web.stderr.0" {
		t.Fatalf("LogPath = %q, %v", p, err)
	}
}

func TestLogs_FollowStopsOnCancel(t *testing.T) {
	srv := newTestServer(t)
	c := newTestClient(t, srv, t.TempDir())
	job := shJob("ticker", `echo start; exec sleep 600`)
	srv.addJob(job)
	alloc := newAlloc(c, job)
	srv.upsertAlloc(alloc)
	waitFor(t, "alloc running", statusIs(srv, alloc.ID, structs.AllocClientRunning))

	ctx, cancel := context.WithCancel(context.Background())
	buf := &syncBuffer{ch: make(chan struct{}, 1)}
	done := make(chan error, 1)
	go func() { done <- c.StreamLogs(ctx, alloc.ID, "web", "stdout", true, -100, buf) }()
	waitFor(t, "first line", func() bool { return buf.String() == "start\n" })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("follow ignored cancellation")
	}
}
