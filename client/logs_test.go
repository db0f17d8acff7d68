package client

import (
	"bytes"
	"context"
	"fmt"
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
	case <-time.After(30 * time.Second):
		t.Fatal("follow ignored cancellation")
	}
}

// TestLogs_RotatedFiles reads <task>.stdout.0, .1, .2 as one stream:
// offsets and tails across files, and a follower moving on to a new file.
func TestLogs_RotatedFiles(t *testing.T) {
	srv := newTestServer(t)
	c, err := New(&Config{DataDir: t.TempDir(), RPC: srv, Drivers: NewInProcessDriverManager(nil)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()
	id := structs.GenerateID()
	writeLog(t, c, id, "aaaa")
	dir, _ := allocdir.New(c.cfg.DataDir, id)
	base := strings.TrimSuffix(dir.LogPath("web", allocdir.LogStdout), ".0")
	for i, s := range []string{"bbbb", "cc"} {
		if err := os.WriteFile(fmt.Sprintf("%s.%d", base, i+1), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		offset int64
		want   string
	}{{0, "aaaabbbbcc"}, {3, "abbbbcc"}, {4, "bbbbcc"}, {9, "c"}, {-3, "bcc"}, {-100, "aaaabbbbcc"}, {LogOffsetEnd, ""}, {100, ""}}
	for _, tc := range cases {
		var out bytes.Buffer
		if err := c.StreamLogs(context.Background(), id, "web", allocdir.LogStdout, false, tc.offset, &out); err != nil {
			t.Fatalf("offset %d: %v", tc.offset, err)
		}
		if out.String() != tc.want {
			t.Errorf("offset %d: got %q, want %q", tc.offset, out.String(), tc.want)
		}
	}
	// Purged oldest file: the stream starts at the oldest one left.
	os.Remove(base + ".0")
	var out bytes.Buffer
	if err := c.StreamLogs(context.Background(), id, "web", allocdir.LogStdout, false, 0, &out); err != nil || out.String() != "bbbbcc" {
		t.Fatalf("after purge: %q, %v", out.String(), err)
	}
}

// TestLogReader_FollowsIntoNextFile reads to the end of a file, then a new
// file appears: the reader sends the rest of the old one and moves on.
func TestLogReader_FollowsIntoNextFile(t *testing.T) {
	base := filepath.Join(t.TempDir(), "web.stdout")
	os.WriteFile(base+".0", []byte("one\n"), 0o644)
	r := &logReader{base: base}
	defer r.close()
	if ok, err := r.seek(0); !ok || err != nil {
		t.Fatalf("seek: %v %v", ok, err)
	}
	var out bytes.Buffer
	if err := r.copyAll(&out); err != nil || out.String() != "one\n" {
		t.Fatalf("first read %q %v", out.String(), err)
	}
	f, _ := os.OpenFile(base+".0", os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("two\n")
	f.Close()
	os.WriteFile(base+".1", []byte("three\n"), 0o644)
	if err := r.copyAll(&out); err != nil || out.String() != "one\ntwo\nthree\n" {
		t.Fatalf("after rotation %q %v", out.String(), err)
	}
}
