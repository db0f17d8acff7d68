package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/structs"
)

// followInterval is how often a followed log file is checked for new data.
// fsnotify is not a dependency (yet); a stat every 100ms per follower is
// cheap and keeps the delay below what a person notices.
const followInterval = 100 * time.Millisecond

// LogPath returns the file holding a task's stdout or stderr. Allocations
// that were destroyed keep their logs on disk and are still found there.
func (c *Client) LogPath(allocID, task, logType string) (string, error) {
	if logType != allocdir.LogStdout && logType != allocdir.LogStderr {
		return "", fmt.Errorf("invalid: log type %q: use %q or %q", logType, allocdir.LogStdout, allocdir.LogStderr)
	}
	unknownAlloc := fmt.Errorf("allocation %q is not on this node: %w", allocID, structs.ErrNotFound)
	unknownTask := fmt.Errorf("allocation %q has no task %q: %w", allocID, task, structs.ErrNotFound)
	if ar := c.runner(allocID); ar != nil {
		if _, ok := ar.TaskState(task); !ok {
			return "", unknownTask
		}
		return ar.AllocDir().LogPath(task, logType), nil
	}
	dir, err := allocdir.New(c.cfg.DataDir, allocID)
	if err != nil {
		return "", unknownAlloc
	}
	if _, err := os.Stat(dir.Dir); err != nil {
		return "", unknownAlloc
	}
	if allocdir.CheckPathElem(task) != nil {
		return "", unknownTask
	}
	path := dir.LogPath(task, logType)
	if _, err := os.Stat(path); err != nil {
		return "", unknownTask
	}
	return path, nil
}

// StreamLogs writes a task's log to w starting at offset (a negative offset
// counts from the end, for tail). With follow it keeps writing what the
// task appends until ctx is done (then it returns nil) or the task is dead
// and everything it wrote has been sent.
func (c *Client) StreamLogs(ctx context.Context, allocID, task, logType string, follow bool, offset int64, w io.Writer) error {
	path, err := c.LogPath(allocID, task, logType)
	if err != nil {
		return err
	}
	f, err := c.openLog(ctx, path, allocID, task, follow)
	if err != nil || f == nil {
		return err
	}
	defer f.Close()

	pos, err := startOffset(f, offset)
	if err != nil {
		return err
	}
	if pos, err = copyNew(f, pos, w); err != nil || !follow {
		return err
	}
	ticker := time.NewTicker(followInterval)
	defer ticker.Stop()
	for {
		// Look at the task before reading: if it was dead already, the
		// read below gets all it ever wrote, and we can stop after it.
		dead := c.taskDead(allocID, task)
		if pos, err = copyNew(f, pos, w); err != nil {
			return err
		}
		if dead {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// openLog opens a log file. A task that has not run its setup yet has no
// file: a follower waits for it, anyone else gets an error. A nil file with
// a nil error means there is nothing to stream.
func (c *Client) openLog(ctx context.Context, path, allocID, task string, follow bool) (*os.File, error) {
	for {
		f, err := os.Open(path)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, os.ErrNotExist) || !follow {
			return nil, fmt.Errorf("open log: %w", err)
		}
		if c.taskDead(allocID, task) {
			return nil, nil
		}
		if !sleep(ctx, followInterval) {
			return nil, nil
		}
	}
}

// taskDead reports whether the task will write no more output. A task
// whose runner is gone (destroyed allocation) counts as dead.
func (c *Client) taskDead(allocID, task string) bool {
	ar := c.runner(allocID)
	if ar == nil {
		return true
	}
	s, ok := ar.TaskState(task)
	return !ok || s.State == structs.TaskStateDead
}

// startOffset turns a requested offset into a file position.
func startOffset(f *os.File, offset int64) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("stat log: %w", err)
	}
	size := fi.Size()
	switch {
	case offset < 0:
		return max(0, size+offset), nil
	case offset > size:
		return size, nil
	}
	return offset, nil
}

// copyNew writes the bytes between pos and the current end of the file and
// returns the new position. A file that shrank was truncated: start over.
func copyNew(f *os.File, pos int64, w io.Writer) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return pos, fmt.Errorf("stat log: %w", err)
	}
	size := fi.Size()
	if size < pos {
		pos = 0
	}
	if size == pos {
		return pos, nil
	}
	n, err := io.Copy(w, io.NewSectionReader(f, pos, size-pos))
	pos += n
	if err != nil {
		return pos, fmt.Errorf("write log: %w", err)
	}
	return pos, nil
}
