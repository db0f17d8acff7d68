package executor_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/appmesh/appmesh/drivers"
)

// A task started with Stdin reads what a writer puts into its stdin FIFO,
// waits for that writer instead of seeing end of file early, and gets end
// of file when the writer closes.
func TestStdinFIFO(t *testing.T) {
	d := newDriver(t)
	cfg := shTask(t, "stdin-task", `read x; echo got:$x; cat; echo done`)
	cfg.Stdin = true
	start(t, d, cfg)
	fifo := drivers.StdinFIFOPath(filepath.Dir(cfg.StdoutPath), cfg.TaskName)
	if fi, err := os.Stat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("stdin fifo %s: %v %v", fifo, fi, err)
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("open fifo for writing: %v", err)
	}
	if _, err := w.WriteString("hello\nrest\n"); err != nil {
		t.Fatalf("write: %v", err)
	}
	w.Close()
	if res := wait(t, d, cfg.ID); !res.Successful() {
		t.Fatalf("exit = %+v", res)
	}
	if got := readFile(t, cfg.StdoutPath); got != "got:hello\nrest\ndone\n" {
		t.Fatalf("stdout = %q", got)
	}
	if _, err := os.Stat(fifo); !os.IsNotExist(err) {
		t.Fatalf("fifo left behind after exit: %v", err)
	}
}

// Config `stdin = true` works like the Stdin field; a task that exits while
// nobody ever wrote to its stdin leaves no FIFO and no stuck goroutine
// (the test would hang in WaitTask otherwise).
func TestStdinFIFONoWriter(t *testing.T) {
	d := newDriver(t)
	cfg := shTask(t, "stdin-none", `echo started`)
	cfg.Config["stdin"] = true
	start(t, d, cfg)
	fifo := drivers.StdinFIFOPath(filepath.Dir(cfg.StdoutPath), cfg.TaskName)
	if res := wait(t, d, cfg.ID); !res.Successful() {
		t.Fatalf("exit = %+v", res)
	}
	if _, err := os.Stat(fifo); !os.IsNotExist(err) {
		t.Fatalf("fifo left behind after exit: %v", err)
	}
}

// Without Stdin the task's stdin is /dev/null: it reads end of file at once.
func TestStdinDefaultDevNull(t *testing.T) {
	d := newDriver(t)
	cfg := shTask(t, "stdin-null", `if read x; then echo read:$x; else echo eof; fi`)
	start(t, d, cfg)
	if res := wait(t, d, cfg.ID); !res.Successful() {
		t.Fatalf("exit = %+v", res)
	}
	if got := readFile(t, cfg.StdoutPath); got != "eof\n" {
		t.Fatalf("stdout = %q", got)
	}
	fifo := drivers.StdinFIFOPath(filepath.Dir(cfg.StdoutPath), cfg.TaskName)
	if _, err := os.Stat(fifo); !os.IsNotExist(err) {
		t.Fatalf("unexpected stdin fifo: %v", err)
	}
}

// A task that exits while a writer is connected but idle still finishes
// (the copy is ended), and the writer then sees the task gone.
func TestStdinFIFOIdleWriter(t *testing.T) {
	d := newDriver(t)
	cfg := shTask(t, "stdin-idle", `read x; echo got:$x`)
	cfg.Stdin = true
	start(t, d, cfg)
	fifo := drivers.StdinFIFOPath(filepath.Dir(cfg.StdoutPath), cfg.TaskName)
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("open fifo for writing: %v", err)
	}
	defer w.Close()
	if _, err := w.WriteString("one\n"); err != nil {
		t.Fatalf("write: %v", err)
	}
	// The writer stays open and idle; the task exits after one line.
	if res := wait(t, d, cfg.ID); !res.Successful() {
		t.Fatalf("exit = %+v", res)
	}
	if got := readFile(t, cfg.StdoutPath); got != "got:one\n" {
		t.Fatalf("stdout = %q", got)
	}
	if _, err := w.WriteString("more\n"); err == nil {
		t.Fatal("writing to the stdin of an exited task succeeded")
	}
}
