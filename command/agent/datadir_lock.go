package agent

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
)

// lockFileName is the file in a data directory that an agent holds an
// exclusive flock on while it runs. It contains the holder's PID, so that a
// second agent pointed at the same directory can say who has it instead of
// waiting on raft.db (bolt blocks on its own flock without a timeout).
const lockFileName = "agent.lock"

// dataDirLock is a held lock on a data directory.
type dataDirLock struct {
	f *os.File
}

// ErrDataDirLocked is returned (wrapped) when another process holds the
// data directory.
var ErrDataDirLocked = errors.New("data dir is locked")

// lockDataDir creates dir if needed and takes its lock, without waiting.
func lockDataDir(dir string) (*dataDirLock, error) {
	if err := os.MkdirAll(dir, 0o711); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", dir, err)
	}
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			msg := fmt.Sprintf("data dir %s is locked by another agent%s", dir, lockHolder(path))
			return nil, &plainError{msg: msg, err: ErrDataDirLocked}
		}
		return nil, fmt.Errorf("lock data dir %s: %w", dir, err)
	}
	// Ours now: record who holds it for the next one to read.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dataDirLock{f: f}, nil
}

// lockHolder reads the PID a lock file names, as " (pid N)", or "".
func lockHolder(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return ""
	}
	return fmt.Sprintf(" (pid %d)", pid)
}

// release drops the lock. The file stays: removing it would let a third
// agent lock a fresh inode while a second still waits on the old one.
func (l *dataDirLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing drops the flock
	l.f = nil
	return err
}

// staleDevDirAge is how old an unlocked dev directory must be before a new
// dev agent removes it: younger ones may belong to an agent that has just
// created its directory and not locked it yet.
const staleDevDirAge = time.Minute

// removeStaleDevDirs deletes the temporary directories of dev agents that
// died without cleaning up (killed with SIGKILL, power loss): any
// appmesh-dev-* directory in the temp dir whose lock nobody holds.
func removeStaleDevDirs(logger hclog.Logger) {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), devDirPattern+"*"))
	for _, dir := range matches {
		fi, err := os.Lstat(dir)
		if err != nil || !fi.IsDir() || time.Since(fi.ModTime()) < staleDevDirAge {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, lockFileName)); err != nil {
			continue // not one of ours (or made by an older version): leave it
		}
		l, err := lockDataDir(dir)
		if err != nil {
			continue // a live dev agent holds it
		}
		_ = l.release()
		if err := os.RemoveAll(dir); err != nil {
			logger.Debug("could not remove a stale dev data dir", "dir", dir, "error", err)
			continue
		}
		logger.Debug("removed the data dir of a dev agent that is gone", "dir", dir)
	}
}

// devDirPattern names dev agents' temporary data directories.
const devDirPattern = "appmesh-dev-"

// plainStartError turns a failed listen anywhere in err's chain into one
// plain line, "listen on 127.0.0.1:6060: address already in use", instead
// of Go's "listen for HTTP on ...: listen tcp ...: bind: ..." stack. Other
// errors pass unchanged.
func plainStartError(err error) error {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "listen" || op.Addr == nil || op.Err == nil {
		return err
	}
	inner := op.Err
	var sys *os.SyscallError
	if errors.As(inner, &sys) {
		inner = sys.Err
	}
	return &plainError{msg: fmt.Sprintf("listen on %s: %v", op.Addr, inner), err: err}
}

// plainError prints msg but still unwraps to the underlying error, so that
// errors.Is(err, syscall.EADDRINUSE) keeps working.
type plainError struct {
	msg string
	err error
}

func (e *plainError) Error() string { return e.msg }
func (e *plainError) Unwrap() error { return e.err }

// lockDataDir takes the data directory's lock before anything opens a file
// in it. A dev agent without -data-dir gets a temporary directory, locked
// the same way so that a later dev agent can tell it from a dead one's.
func (a *Agent) lockDataDir() error {
	cfg := a.config
	dir := cfg.DataDir
	if cfg.DevMode && dir == "" {
		removeStaleDevDirs(a.logger)
		tmp, err := os.MkdirTemp("", devDirPattern)
		if err != nil {
			return fmt.Errorf("create dev data dir: %w", err)
		}
		a.tempDir = tmp
		// MkdirTemp makes it 0700; tasks that run as another user (user =
		// "nobody") must be able to pass through to their directories.
		if err := os.Chmod(tmp, 0o711); err != nil {
			return fmt.Errorf("make dev data dir %s traversable: %w", tmp, err)
		}
		dir = tmp
	}
	if dir == "" {
		return nil // a client-only agent without state, or in-memory server
	}
	l, err := lockDataDir(dir)
	if err != nil {
		return err
	}
	a.lock = l
	return nil
}

// RemoveTempDir removes a dev agent's temporary data directory (if any) and
// drops the data directory's lock. Shutdown calls it; so does the CLI when
// a second interrupt forces the exit before Shutdown has finished.
func (a *Agent) RemoveTempDir() error {
	var err error
	if a.tempDir != "" {
		err = os.RemoveAll(a.tempDir)
		if err != nil {
			err = fmt.Errorf("remove dev data dir %s: %w", a.tempDir, err)
		}
	}
	return errors.Join(err, a.lock.release())
}
