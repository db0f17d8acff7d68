package drivers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// StdinFIFOName is the named pipe, in a task's log directory, that feeds a
// task started with TaskConfig.Stdin (or `stdin = true` in its config):
// whoever opens it for writing on the node provides the task's standard
// input, and closing it gives the task end of file.
func StdinFIFOName(task string) string {
	return "." + strings.ReplaceAll(task, "/", "_") + ".stdin.fifo"
}

// StdinFIFOPath is the stdin FIFO of a task whose logs live in logDir.
func StdinFIFOPath(logDir, task string) string {
	return filepath.Join(logDir, StdinFIFOName(task))
}

// WantsStdin reports whether a task asks for a stdin FIFO: the Stdin field
// or `stdin = true` in its driver config.
func (c *TaskConfig) WantsStdin() bool {
	if c == nil {
		return false
	}
	if c.Stdin {
		return true
	}
	b, _ := c.Config["stdin"].(bool)
	return b
}

// ErrNoStdin is returned by WriteStdinFIFO when the task ended without ever opening a stdin.
var ErrNoStdin = errors.New("task has no stdin: it ended, or was started without stdin")

// WriteStdinFIFO opens the FIFO at path for writing once it exists, copies
// r into it and closes it. dead tells when waiting for the FIFO is futile.
func WriteStdinFIFO(ctx context.Context, path string, r io.Reader, dead func() bool) error {
	var f *os.File
	for {
		var err error
		// Non-blocking: the plugin keeps a reader waiting on the FIFO for
		// as long as the task may read, so ENXIO (no reader) or ENOENT
		// means it is not there (yet, or any more).
		f, err = os.OpenFile(path, os.O_WRONLY|unix.O_NONBLOCK, 0)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.ENXIO) {
			return fmt.Errorf("open stdin: %w", err)
		}
		if dead() {
			return ErrNoStdin
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(stdinPollInterval):
		}
	}
	stop := context.AfterFunc(ctx, func() { f.Close() })
	defer stop()
	_, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil && cerr != nil && !errors.Is(cerr, os.ErrClosed) {
		err = cerr
	}
	if err != nil && ctx.Err() == nil {
		if errors.Is(err, unix.EPIPE) {
			return nil // the task stopped reading: what it did not take is dropped
		}
		return fmt.Errorf("write stdin: %w", err)
	}
	return nil
}

// stdinPollInterval is how often WriteStdinFIFO looks for the FIFO.
const stdinPollInterval = 100 * time.Millisecond
