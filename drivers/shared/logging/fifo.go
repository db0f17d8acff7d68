package logging

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// bufSize is the size of the pooled read buffers. A buffer is taken from the
// pool only while data is being read, never while a stream waits, so an idle
// task costs no buffer at all.
const bufSize = 32 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// FIFOPath is the named pipe that carries one stream of a task's output to
// the plugin: hidden, next to the log files, and not matching their
// "<task>.<stream>.<n>" pattern.
func FIFOPath(logPath string) string {
	base := BaseOf(logPath)
	return filepath.Join(filepath.Dir(base), "."+filepath.Base(base)+".fifo")
}

// MakeFIFO creates the named pipe at path (replacing a stale one) and opens
// it read-write for the task: because the task's own descriptor also reads,
// a writer never sees EPIPE when the plugin restarts; it only blocks once the
// pipe buffer is full until a new plugin reads again.
func MakeFIFO(path string) (*os.File, error) {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("removing stale fifo: %w", err)
	}
	if err := unix.Mkfifo(path, 0o600); err != nil {
		return nil, fmt.Errorf("creating fifo %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("opening fifo %s: %w", path, err)
	}
	return f, nil
}

// Copier moves one stream from a FIFO into a writer, in one goroutine.
type Copier struct {
	f    *os.File
	done chan struct{}
}

// StartCopier opens the FIFO at path for reading and copies it to w until
// Stop. It does not close w.
func StartCopier(path string, w io.Writer) (*Copier, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("opening fifo %s: %w", path, err)
	}
	c := &Copier{f: f, done: make(chan struct{})}
	go c.run(w)
	return c, nil
}

func (c *Copier) run(w io.Writer) {
	defer close(c.done)
	rc, err := c.f.SyscallConn()
	if err != nil {
		return
	}
	for {
		var n int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			n, rerr = readInto(int(fd), w)
			return rerr != unix.EAGAIN
		})
		if err == nil && rerr == unix.EINTR {
			continue
		}
		if err != nil || rerr != nil || n == 0 {
			// Deadline set by Stop, or EOF: take what is still buffered.
			if errors.Is(err, os.ErrDeadlineExceeded) {
				drain(rc, w)
			}
			return
		}
	}
}

// readInto reads once from fd into a pooled buffer and writes what it got.
func readInto(fd int, w io.Writer) (int, error) {
	b := bufPool.Get().(*[]byte)
	defer bufPool.Put(b)
	n, err := unix.Read(fd, *b)
	if n > 0 {
		_, _ = w.Write((*b)[:n])
	}
	return n, err
}

func drain(rc interface {
	Control(func(uintptr)) error
}, w io.Writer) {
	_ = rc.Control(func(fd uintptr) {
		for {
			n, err := readInto(int(fd), w)
			if n <= 0 || err != nil {
				return
			}
		}
	})
}

// Stop copies what is left in the pipe, stops the goroutine and closes the
// read end. Call it once the task's processes are all gone.
func (c *Copier) Stop() {
	_ = c.f.SetReadDeadline(time.Now())
	<-c.done
	c.f.Close()
}
