package executor

import (
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/creack/pty"

	"github.com/appmesh/appmesh/drivers"
)

// defaultTerm is TERM for a command on a terminal when the task's
// environment sets none: full-screen programs need one.
const defaultTerm = "TERM=xterm-256color"

// eot is what a terminal sends for Ctrl-D: the end of the user's input on
// a terminal is delivered the same way.
const eot = 0x04

// startTTY runs the command on a new pseudo-terminal: the terminal is its
// stdin, stdout and stderr and its controlling terminal, in a new session
// (so its process group id is its pid, and job control and Ctrl-C work
// inside it).
func (s *execSession) startTTY() error {
	ptmx, tty, err := s.openPty()
	if err != nil {
		return err
	}
	defer tty.Close() // the child keeps its own copies
	if sz := s.opts.Size; sz != nil && sz.Height > 0 && sz.Width > 0 {
		if err := pty.Setsize(ptmx, &pty.Winsize{Rows: sz.Height, Cols: sz.Width}); err != nil {
			ptmx.Close()
			return err
		}
	}
	if s.cred != nil {
		// The task's user may reopen its own terminal (ttyname, /dev/pts/N).
		_ = tty.Chown(int(s.cred.Uid), -1)
	}
	if !hasEnv(s.cmd.Env, "TERM") {
		s.cmd.Env = append(append([]string(nil), s.cmd.Env...), defaultTerm)
	}
	s.cmd.Stdin, s.cmd.Stdout, s.cmd.Stderr = tty, tty, tty
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0, Credential: s.cred}
	s.ptmx = ptmx
	s.closers = append(s.closers, ptmx)
	if err := s.start(); err != nil {
		ptmx.Close()
		return err
	}
	if s.opts.Stdin != nil {
		go func() {
			if _, err := io.Copy(ptmx, s.opts.Stdin); err == nil {
				_, _ = ptmx.Write([]byte{eot})
			}
		}()
	}
	s.outDone = make(chan struct{})
	if s.opts.Resize != nil {
		go drivers.FollowResize(s.outDone, s.opts.Resize, func(sz drivers.TerminalSize) bool {
			_ = pty.Setsize(s.ptmx, &pty.Winsize{Rows: sz.Height, Cols: sz.Width})
			return true
		})
	}
	go func() {
		defer close(s.outDone)
		// Ends with EIO once no process holds the terminal, or when ptmx
		// is closed.
		_, _ = io.Copy(s.opts.Stdout, ptmx)
	}()
	return nil
}

// openPty opens the terminal in the task's own /dev/pts when it has one,
// so that tty and ttyname work inside; else (or if that fails) on the
// host's.
func (s *execSession) openPty() (ptmx, tty *os.File, err error) {
	if s.t.ns != nil {
		err = s.t.inTask(func(func() error) error {
			ptmx, tty, err = pty.Open()
			return err
		})
		if err == nil {
			return ptmx, tty, nil
		}
	}
	return pty.Open()
}

func hasEnv(env []string, key string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}
