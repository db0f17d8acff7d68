// Package logging writes a task's output to size-rotated files. Files are
// named <base>.0, <base>.1, ...: the highest index is the one being written,
// and only the newest maxFiles are kept. The client reads them in index order.
package logging

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// Rotator is an io.Writer over a set of rotated files. It is safe for
// concurrent use.
type Rotator struct {
	base     string
	maxFiles int
	maxSize  int64

	mu     sync.Mutex
	idx    int
	f      *os.File // nil after Close, or after a rotation failed to open the next file
	size   int64
	closed bool
}

// BaseOf strips a trailing ".<n>" from a log path: the client hands drivers
// "<task>.stdout.0" and the rotator continues with ".1", ".2", ...
func BaseOf(path string) string {
	i := strings.LastIndexByte(path, '.')
	if i < 0 {
		return path
	}
	if _, err := strconv.Atoi(path[i+1:]); err != nil {
		return path
	}
	return path[:i]
}

// NewRotator opens the newest existing file of firstPath's set for
// appending (or creates index 0). maxFiles < 1 keeps one file; maxSizeMB < 1
// never rotates.
func NewRotator(firstPath string, maxFiles, maxSizeMB int) (*Rotator, error) {
	r := &Rotator{base: BaseOf(firstPath), maxFiles: max(maxFiles, 1), maxSize: int64(maxSizeMB) << 20}
	idx, err := newestIndex(r.base)
	if err != nil {
		return nil, err
	}
	if err := r.open(idx, os.O_APPEND); err != nil {
		return nil, err
	}
	r.purge()
	return r, nil
}

// newestIndex finds the highest n of the existing files <base>.<n>.
func newestIndex(base string) (int, error) {
	entries, err := os.ReadDir(filepath.Dir(base))
	if err != nil {
		return 0, fmt.Errorf("listing log directory: %w", err)
	}
	prefix := filepath.Base(base) + "."
	newest := 0
	for _, e := range entries {
		if n, ok := indexOf(e.Name(), prefix); ok && n > newest {
			newest = n
		}
	}
	return newest, nil
}

func indexOf(name, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n >= 0
}

func (r *Rotator) path(idx int) string { return r.base + "." + strconv.Itoa(idx) }

func (r *Rotator) open(idx int, mode int) error {
	f, err := os.OpenFile(r.path(idx), os.O_WRONLY|os.O_CREATE|mode, 0o644)
	if err != nil {
		return fmt.Errorf("opening log file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("log file: %w", err)
	}
	r.idx, r.f, r.size = idx, f, fi.Size()
	return nil
}

// purge removes every file older than the newest maxFiles (a lowered
// max_files can leave several when a task is restarted).
func (r *Rotator) purge() {
	for i := r.idx - r.maxFiles; i >= 0; i-- {
		_ = os.Remove(r.path(i))
	}
}

// Write appends p to the current file, first starting the next file when
// the current one is full. A write is never split across files.
func (r *Rotator) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, os.ErrClosed
	}
	if r.f == nil {
		// A rotation could not open the next file (a full disk): try
		// again, so that the output resumes once there is room.
		if err := r.openNext(); err != nil {
			return 0, err
		}
	}
	if r.maxSize > 0 && r.size > 0 && r.size+int64(len(p)) > r.maxSize {
		if err := r.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

func (r *Rotator) rotate() error {
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("closing log file: %w", err)
	}
	r.f = nil
	return r.openNext()
}

// openNext starts the file after the current index, dropping the oldest.
func (r *Rotator) openNext() error {
	if err := r.open(r.idx+1, os.O_TRUNC); err != nil {
		return err
	}
	if old := r.idx - r.maxFiles; old >= 0 {
		_ = os.Remove(r.path(old))
	}
	return nil
}

// Close closes the current file.
func (r *Rotator) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}
