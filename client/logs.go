package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/structs"
)

// followInterval is how often a followed log is checked for new data.
// fsnotify is not a dependency (yet); a stat every 100ms per follower is
// cheap and keeps the delay below what a person notices.
const followInterval = 100 * time.Millisecond

// LogOffsetEnd as a StreamLogs offset starts at the current end of the log
// (only new output). It equals the agent's LogOffsetEnd.
const LogOffsetEnd = math.MinInt64

// LogPath returns the first file of a task's stdout or stderr
// (<task>.<type>.0); rotated output continues in .1, .2, ... next to it.
// Allocations that were destroyed keep their logs on disk, and are still
// found there, until garbage collection removes their directory (gc.go).
func (c *Client) LogPath(allocID, task, logType string) (string, error) {
	if logType != allocdir.LogStdout && logType != allocdir.LogStderr {
		return "", fmt.Errorf("invalid: log type %q: use %q or %q", logType, allocdir.LogStdout, allocdir.LogStderr)
	}
	unknownAlloc := fmt.Errorf("allocation %q is not on this node (or its logs were garbage collected): %w", allocID, structs.ErrNotFound)
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
	if files, _ := logFiles(path); len(files) == 0 {
		return "", unknownTask
	}
	return path, nil
}

// StreamLogs writes a task's log to w, reading its rotated files in order
// as one stream. A non-negative offset counts from the start of the oldest
// file still on disk, a negative one from the end (tail), and LogOffsetEnd
// starts at the end. With follow it keeps writing what the task appends,
// moving on to each new file, until ctx is done (then it returns nil) or
// the task is dead and everything it wrote has been sent.
func (c *Client) StreamLogs(ctx context.Context, allocID, task, logType string, follow bool, offset int64, w io.Writer) error {
	path, err := c.LogPath(allocID, task, logType)
	if err != nil {
		return err
	}
	r := &logReader{base: strings.TrimSuffix(path, ".0")}
	defer r.close()
	for {
		ok, err := r.seek(offset)
		if err != nil {
			return err
		}
		if ok {
			break
		}
		// A task that has not run its setup yet has no file: a follower
		// waits for it, anyone else gets an error.
		if !follow {
			return fmt.Errorf("open log: %w", os.ErrNotExist)
		}
		if c.taskDead(allocID, task) || !ctxsleep.Sleep(ctx, followInterval) {
			return nil
		}
	}
	if err := r.copyAll(w); err != nil || !follow {
		return err
	}
	ticker := time.NewTicker(followInterval)
	defer ticker.Stop()
	for {
		// Look at the task before reading: if it was dead already, the
		// read below gets all it ever wrote, and we can stop after it.
		dead := c.taskDead(allocID, task)
		if err := r.copyAll(w); err != nil {
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

// logFile is one file of a rotated log.
type logFile struct {
	idx  int
	size int64
}

// logFiles lists <base>.<n> files in index order; first is the .0 path.
func logFiles(first string) ([]logFile, error) {
	base := strings.TrimSuffix(first, ".0")
	entries, err := os.ReadDir(filepath.Dir(base))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // the task has not run its setup yet
	}
	if err != nil {
		return nil, fmt.Errorf("list log files: %w", err)
	}
	prefix := filepath.Base(base) + "."
	var out []logFile
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		n, err := strconv.Atoi(rest)
		if !ok || err != nil || n < 0 {
			continue
		}
		if fi, err := e.Info(); err == nil {
			out = append(out, logFile{idx: n, size: fi.Size()})
		}
	}
	slices.SortFunc(out, func(a, b logFile) int { return a.idx - b.idx })
	return out, nil
}

// logReader reads a rotated log as one stream: the open file, the position
// in it, and the move to the next index once a newer file exists.
type logReader struct {
	base string
	idx  int
	f    *os.File
	pos  int64
}

func (r *logReader) path(idx int) string { return r.base + "." + strconv.Itoa(idx) }

// seek positions the reader at a stream offset; false when no file exists.
func (r *logReader) seek(offset int64) (bool, error) {
	files, err := logFiles(r.path(0))
	if err != nil || len(files) == 0 {
		return false, err
	}
	var total int64
	for _, f := range files {
		total += f.size
	}
	switch {
	case offset == LogOffsetEnd:
		offset = total
	case offset < 0:
		offset = max(0, total+offset)
	}
	offset = min(offset, total)
	// Walk to the file holding offset; the end of the stream is the end
	// of the newest file.
	for i, f := range files {
		if offset < f.size || i == len(files)-1 {
			return true, r.open(f.idx, min(offset, f.size))
		}
		offset -= f.size
	}
	return false, nil
}

func (r *logReader) open(idx int, pos int64) error {
	f, err := os.Open(r.path(idx))
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	r.close()
	r.f, r.idx, r.pos = f, idx, pos
	return nil
}

func (r *logReader) close() {
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
}

// copyAll writes what is new in the current file and, while newer files
// exist, moves on to them. The next file's existence is checked before the
// last read of the current one, so nothing written before the move is lost.
func (r *logReader) copyAll(w io.Writer) error {
	for {
		next, err := r.nextIndex()
		if err != nil {
			return err
		}
		if err := r.copyNew(w); err != nil {
			return err
		}
		if next < 0 {
			return nil
		}
		if err := r.open(next, 0); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // purged meanwhile: look again
			}
			return err
		}
	}
}

// nextIndex is the smallest index above the current one, or -1.
func (r *logReader) nextIndex() (int, error) {
	files, err := logFiles(r.path(0))
	if err != nil {
		return -1, err
	}
	for _, f := range files {
		if f.idx > r.idx {
			return f.idx, nil
		}
	}
	return -1, nil
}

// copyNew writes the bytes between pos and the current end of the file.
// A file that shrank was truncated: start over.
func (r *logReader) copyNew(w io.Writer) error {
	fi, err := r.f.Stat()
	if err != nil {
		return fmt.Errorf("stat log: %w", err)
	}
	size := fi.Size()
	if size < r.pos {
		r.pos = 0
	}
	if size == r.pos {
		return nil
	}
	n, err := io.Copy(w, io.NewSectionReader(r.f, r.pos, size-r.pos))
	r.pos += n
	if err != nil {
		return fmt.Errorf("write log: %w", err)
	}
	return nil
}
