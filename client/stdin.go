package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// WriteStdin copies r into the standard input of a task started with a
// stdin FIFO (drivers.StdinFIFOPath in the allocation's log directory) and
// closes it at the end of r, which gives the task end of file. It waits for
// the task to create its FIFO; it returns when r ends, when the task is
// gone (the rest of r is not read), or when ctx is done.
func (c *Client) WriteStdin(ctx context.Context, allocID, task string, r io.Reader) error {
	ar := c.runner(allocID)
	if ar == nil {
		return fmt.Errorf("allocation %q is not running on this node: %w", allocID, structs.ErrNotFound)
	}
	if _, ok := ar.TaskState(task); !ok {
		return fmt.Errorf("allocation %q has no task %q: %w", allocID, task, structs.ErrNotFound)
	}
	path := drivers.StdinFIFOPath(ar.AllocDir().LogDir, task)
	return WriteStdinFIFO(ctx, path, r, func() bool { return c.taskDead(allocID, task) })
}

// errNoStdin is returned when the task ended without ever opening a stdin.
var errNoStdin = errors.New("task has no stdin: it ended, or was started without stdin")

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
			return errNoStdin
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(followInterval):
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
