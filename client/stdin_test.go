package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/appmesh/appmesh/drivers"
)

// WriteStdinFIFO waits for the FIFO to appear, writes all of its input and
// closes it, so the reader sees the data and then end of file.
func TestWriteStdinFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".task.stdin.fifo")
	errc := make(chan error, 1)
	go func() {
		errc <- drivers.WriteStdinFIFO(context.Background(), path, strings.NewReader("hello\nworld\n"), func() bool { return false })
	}()
	// Created after the writer started: it must wait, not fail.
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "hello\nworld\n" {
		t.Fatalf("read %q", got)
	}
	if err := <-errc; err != nil {
		t.Fatalf("WriteStdinFIFO: %v", err)
	}
}

// A task that is gone without a FIFO ends the wait with an error.
func TestWriteStdinFIFODeadTask(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".task.stdin.fifo")
	err := drivers.WriteStdinFIFO(context.Background(), path, bytes.NewReader(nil), func() bool { return true })
	if !errors.Is(err, drivers.ErrNoStdin) {
		t.Fatalf("err = %v, want drivers.ErrNoStdin", err)
	}
}

// Cancelling the context ends a copy whose input never ends.
func TestWriteStdinFIFOCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".task.stdin.fifo")
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenFile(path, os.O_RDWR, 0) // a reader that stays
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pr, pw := io.Pipe() // input that never ends
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- drivers.WriteStdinFIFO(ctx, path, pr, func() bool { return false }) }()
	if _, err := pw.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	cancel()
	pw.Close() // io.Copy is blocked reading the input; closing lets it see the closed FIFO
	if err := <-errc; err != nil {
		t.Fatalf("WriteStdinFIFO after cancel: %v", err)
	}
}
