package executor

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/appmesh/appmesh/drivers"
)

// taskStdin feeds a task's standard input from a FIFO in its log directory
// (drivers.StdinFIFOPath). The task reads a pipe whose write end only this
// plugin holds, so it blocks until input arrives instead of seeing end of
// file before anyone connected; one goroutine waits for a writer to open
// the FIFO, copies what it writes into the pipe and closes the pipe when
// that writer closes (the task's end of file).
//
// The pipe lives in this plugin process: a task recovered by a restarted
// plugin sees end of file on its standard input.
type taskStdin struct {
	fifo  string
	child *os.File // the pipe's read end, the task's fd 0; closed after start
	w     *os.File // the pipe's write end

	mu      sync.Mutex
	src     *os.File // the FIFO once a writer opened it
	stopped bool
	done    chan struct{}
}

// stdinFIFOPath is where the FIFO of cfg goes: next to its output.
func stdinFIFOPath(cfg *drivers.TaskConfig) string {
	dir := cfg.TaskDir
	if cfg.StdoutPath != "" {
		dir = filepath.Dir(cfg.StdoutPath)
	}
	name := cfg.TaskName
	if name == "" {
		name = cfg.ID
	}
	return drivers.StdinFIFOPath(dir, name)
}

// openStdin prepares the standard input of a task that asks for one; nil
// (and /dev/null for the task) otherwise.
func openStdin(cfg *drivers.TaskConfig) (*taskStdin, error) {
	if !cfg.WantsStdin() {
		return nil, nil
	}
	path := stdinFIFOPath(cfg)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("removing stale stdin fifo: %w", err)
	}
	if err := unix.Mkfifo(path, 0o600); err != nil {
		return nil, fmt.Errorf("creating stdin fifo %s: %w", path, err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("creating stdin pipe: %w", err)
	}
	s := &taskStdin{fifo: path, child: r, w: w, done: make(chan struct{})}
	go s.run()
	return s, nil
}

func (s *taskStdin) run() {
	defer close(s.done)
	defer s.w.Close()
	// Blocks (one thread) until a writer opens the FIFO, or stop opens it
	// itself to end the wait.
	f, err := os.OpenFile(s.fifo, os.O_RDONLY, 0)
	if err != nil {
		return
	}
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		f.Close()
		return
	}
	s.src = f
	s.mu.Unlock()
	defer f.Close()
	// Ends at the writer's close (EOF), when the task stopped reading
	// (EPIPE) or when stop closes f.
	_, _ = io.Copy(s.w, f)
}

// closeChild drops this process's copy of the task's end after start.
func (s *taskStdin) closeChild() {
	if s != nil && s.child != nil {
		s.child.Close()
		s.child = nil
	}
}

// stop ends the copy and removes the FIFO; call it once the task is gone.
// It does not wait forever: a goroutine that cannot be released (see
// below) is left behind rather than blocking the task's exit.
func (s *taskStdin) stop() {
	if s == nil {
		return
	}
	s.closeChild()
	s.mu.Lock()
	already := s.stopped
	s.stopped = true
	s.mu.Unlock()
	if already {
		return
	}
	// Unblocks a write into the pipe (a leftover process of the task may
	// still hold its read end without reading).
	s.w.Close()
	defer os.Remove(s.fifo)
	for i := 0; i < 200; i++ {
		s.mu.Lock()
		src := s.src
		s.mu.Unlock()
		if src != nil {
			src.Close() // unblocks the copy's read
		} else if f, err := os.OpenFile(s.fifo, os.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
			// Nobody ever wrote: release the goroutine blocked in open.
			// (ENXIO means it is not in open yet, or not any more.)
			f.Close()
		}
		select {
		case <-s.done:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}
