package drivertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appmesh/appmesh/drivers"
)

// SyncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// WaitFor polls until the buffer contains want, failing the test after 10s.
func (b *SyncBuffer) WaitFor(t testing.TB, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(b.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("output never contained %q; got %q", want, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// RunExecStreaming checks interactive exec (drivers.ExecStreamer) of a
// process driver: a command on a terminal of the requested size that
// reads its input and ends with its own exit code, resizing, a command
// with separate pipes, the errors for bad input, and that ending the
// session kills the command.
func RunExecStreaming(t *testing.T, d drivers.Driver) {
	t.Helper()
	streamer, ok := d.(drivers.ExecStreamer)
	if !ok {
		t.Fatalf("%T does not implement drivers.ExecStreamer", d)
	}
	dir := t.TempDir()
	cfg := &drivers.TaskConfig{
		ID:         "exec-stream/t",
		TaskName:   "t",
		Config:     map[string]any{"command": "/bin/sh", "args": []any{"-c", "sleep 60"}},
		TaskDir:    dir,
		StdoutPath: filepath.Join(dir, "out"),
		StderrPath: filepath.Join(dir, "err"),
	}
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatal(err)
	}
	defer d.DestroyTask(cfg.ID, true)
	t.Run("tty", func(t *testing.T) { execTTY(t, streamer, cfg.ID) })
	t.Run("pipes", func(t *testing.T) { execPipes(t, streamer, cfg.ID) })
	t.Run("errors", func(t *testing.T) { execErrors(t, streamer, cfg.ID) })
	t.Run("cancel kills", func(t *testing.T) { execCancel(t, streamer, cfg.ID) })
	t.Run("task stop ends it", func(t *testing.T) { execTaskStop(t, d, streamer, cfg.ID) })
}

func execTTY(t *testing.T, s drivers.ExecStreamer, id string) {
	stdinR, stdinW := io.Pipe()
	defer stdinR.Close()
	resize := make(chan drivers.TerminalSize, 1)
	var out SyncBuffer
	opts := &drivers.ExecOptions{
		Command: []string{"/bin/sh", "-c", `tty; stty size; read x; stty size; echo got:$x; exit 7`},
		Tty:     true,
		Size:    &drivers.TerminalSize{Height: 33, Width: 97},
		Stdin:   stdinR, Stdout: &out, Stderr: &out, Resize: resize,
	}
	type result struct {
		res *drivers.ExitResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := s.ExecTaskStreaming(context.Background(), id, opts)
		done <- result{res, err}
	}()
	out.WaitFor(t, "33 97")
	resize <- drivers.TerminalSize{Height: 44, Width: 120}
	time.Sleep(300 * time.Millisecond) // the resize travels apart from the input
	_, _ = stdinW.Write([]byte("hello\n"))
	var r result
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("exec did not end; output %q", out.String())
	}
	if r.err != nil {
		t.Fatalf("ExecTaskStreaming: %v (output %q)", r.err, out.String())
	}
	got := out.String()
	for _, want := range []string{"/dev/pts/", "33 97", "44 120", "got:hello"} {
		if !strings.Contains(got, want) {
			t.Errorf("output %q does not contain %q", got, want)
		}
	}
	if r.res.ExitCode != 7 {
		t.Errorf("exit code = %d, want 7", r.res.ExitCode)
	}
}

func execPipes(t *testing.T, s drivers.ExecStreamer, id string) {
	var out, errOut SyncBuffer
	opts := &drivers.ExecOptions{
		Command: []string{"/bin/sh", "-c", `if [ -t 0 ]; then echo tty; fi; cat; echo oops >&2; exit 3`},
		Stdin:   strings.NewReader("line one\nline two\n"),
		Stdout:  &out, Stderr: &errOut,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := s.ExecTaskStreaming(ctx, id, opts)
	if err != nil {
		t.Fatalf("ExecTaskStreaming: %v", err)
	}
	if out.String() != "line one\nline two\n" || errOut.String() != "oops\n" || res.ExitCode != 3 {
		t.Fatalf("stdout %q, stderr %q, exit %d; want the input back, oops, 3", out.String(), errOut.String(), res.ExitCode)
	}
}

func execErrors(t *testing.T, s drivers.ExecStreamer, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	run := func(taskID string, cmd ...string) error {
		_, err := s.ExecTaskStreaming(ctx, taskID, &drivers.ExecOptions{Command: cmd, Stdout: io.Discard, Stderr: io.Discard})
		return err
	}
	if err := run(id); err == nil || !strings.Contains(err.Error(), "command is required") {
		t.Errorf("empty command: %v", err)
	}
	if err := run(id, "no-such-command-here"); err == nil || !strings.Contains(err.Error(), `"no-such-command-here" not found`) {
		t.Errorf("unknown command: %v", err)
	}
	if err := run("nope/nope", "/bin/true"); !errors.Is(err, drivers.ErrTaskNotFound) {
		t.Errorf("unknown task: %v, want ErrTaskNotFound", err)
	}
}

// execCancel ends a session whose command would run for long, and checks
// that the command's process group is gone.
func execCancel(t *testing.T, s drivers.ExecStreamer, id string) {
	var out SyncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	// The background sleep is found by its unique argument: a pid printed
	// inside a task with its own PID namespace means nothing out here.
	arg := fmt.Sprintf("1%d", time.Now().UnixNano()%1000000)
	go func() {
		_, err := s.ExecTaskStreaming(ctx, id, &drivers.ExecOptions{
			Command: []string{"/bin/sh", "-c", "sleep " + arg + " & echo started:$!:; wait"},
			Tty:     true, Stdout: &out, Stderr: &out,
		})
		done <- err
	}()
	out.WaitFor(t, ":\r\n")
	// The shell prints before its child has exec'd sleep.
	for start := time.Now(); findProcess("sleep\x00"+arg) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("the background sleep %s is not running; output %q", arg, out.String())
		}
	}
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a canceled session reported success")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("canceling did not end the session")
	}
	deadline := time.Now().Add(5 * time.Second)
	for pid := findProcess("sleep\x00" + arg); pid != 0; pid = findProcess("sleep\x00" + arg) {
		if time.Now().After(deadline) {
			t.Fatalf("the command's background process %d outlived the session", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// findProcess returns the pid of a live (not zombie) process whose command
// line starts with cmdline (NUL-separated), or 0.
func findProcess(cmdline string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !strings.HasPrefix(string(b), cmdline) {
			continue
		}
		if st, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil && strings.Contains(string(st), ") Z ") {
			continue
		}
		return pid
	}
	return 0
}

func execTaskStop(t *testing.T, d drivers.Driver, s drivers.ExecStreamer, id string) {
	var out SyncBuffer
	done := make(chan error, 1)
	go func() {
		_, err := s.ExecTaskStreaming(context.Background(), id, &drivers.ExecOptions{
			Command: []string{"/bin/sh", "-c", "echo started; exec sleep 120"},
			Stdout:  &out, Stderr: &out,
		})
		done <- err
	}()
	out.WaitFor(t, "started")
	if err := d.StopTask(id, time.Second, "SIGKILL"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "task stopped") {
			t.Fatalf("exec after the task stopped: %v, want a 'task stopped' error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stopping the task did not end the exec session")
	}
}
