package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/appmesh/appmesh/drivers"
)

// outputDrainTimeout bounds how long the output of an interactive command
// is still read after the command and its process group are gone (a
// process that left the group may hold the pty or pipes open).
const outputDrainTimeout = 2 * time.Second

var _ drivers.ExecStreamer = (*Driver)(nil)

// ExecTaskStreaming implements drivers.ExecStreamer.
func (d *Driver) ExecTaskStreaming(ctx context.Context, id string, opts *drivers.ExecOptions) (*drivers.ExitResult, error) {
	return d.exec.ExecStreaming(ctx, id, opts)
}

// ExecStreaming runs an interactive command in the task's context (its
// isolation, user, environment and working directory), on a new
// pseudo-terminal with opts.Tty or with pipes otherwise. The command leads
// its own process group (its own session with a terminal), which is killed
// whole when the command ends, when ctx is done or when the task stops.
func (e *Executor) ExecStreaming(ctx context.Context, id string, opts *drivers.ExecOptions) (*drivers.ExitResult, error) {
	opts = opts.WithDefaults()
	t, err := e.lookup(id)
	if err != nil {
		return nil, err
	}
	if len(opts.Command) == 0 || opts.Command[0] == "" {
		return nil, errors.New("invalid: exec: command is required")
	}
	if t.exited() {
		return nil, fmt.Errorf("invalid: exec: task %s is not running", t.cfg.TaskName)
	}
	spec := t.execSpec()
	path, err := t.resolve(opts.Command[0], spec)
	if err != nil {
		return nil, fmt.Errorf("invalid: exec: %s", strings.TrimPrefix(err.Error(), "config: "))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The session ends with the task.
	go func() {
		select {
		case <-t.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	c := exec.Command(path, opts.Command[1:]...)
	c.Args[0] = opts.Command[0]
	c.Env, c.Dir = spec.env, spec.dir
	s := &execSession{e: e, t: t, taskID: id, cmd: c, opts: opts, cred: spec.cred}
	if opts.Tty {
		err = s.startTTY()
	} else {
		err = s.startPipes()
	}
	if err != nil {
		return nil, fmt.Errorf("exec in task %s: %w", t.cfg.TaskName, err)
	}
	res, err := s.wait(ctx)
	if err == nil && (ctx.Err() != nil || res.Signal != 0) {
		if taskStopping(t, res) {
			return nil, fmt.Errorf("exec in task %s: the task stopped", t.cfg.TaskName)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("exec in task %s: session ended: %w", t.cfg.TaskName, ctx.Err())
		}
	}
	return res, err
}

// taskStopping tells whether the task ended along with the command: a
// stopping exec task's cgroup is killed whole, so the command may die of
// the signal a moment before the task is seen gone.
func taskStopping(t *task, res *drivers.ExitResult) bool {
	if res == nil || res.Signal == 0 {
		return t.exited()
	}
	select {
	case <-t.done:
		return true
	case <-time.After(250 * time.Millisecond):
		return false
	}
}

// execSession is one interactive command and what it holds.
type execSession struct {
	e      *Executor
	t      *task
	taskID string
	cmd    *exec.Cmd
	opts   *drivers.ExecOptions
	cred   *syscall.Credential
	// closers are closed once the command is gone; outDone is closed when
	// all output was copied.
	closers []io.Closer
	outDone chan struct{}
	// ptmx is the terminal's master side (Tty only).
	ptmx *os.File
}

// start starts the command in the task's isolation.
func (s *execSession) start() error {
	started, err := s.e.isolation.Join(s.taskID, s.cmd.SysProcAttr)
	if err != nil {
		return fmt.Errorf("joining the task's isolation: %w", err)
	}
	err = s.t.startInTask(s.cmd.SysProcAttr, started, func() (int, error) {
		// A bridge-mode task's command runs in the allocation's network.
		if err := inNamespaces(s.t.execNamespaces(), s.cmd.Start); err != nil {
			return 0, fmt.Errorf("starting %s: %w", s.cmd.Args[0], err)
		}
		return s.cmd.Process.Pid, nil
	})
	if err != nil && s.cmd.Process != nil {
		_ = unix.Kill(-s.cmd.Process.Pid, unix.SIGKILL)
		_ = s.cmd.Wait()
	}
	return err
}

// startPipes runs the command with pipes for its stdin, stdout and stderr.
func (s *execSession) startPipes() error {
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: s.cred}
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return err
	}
	s.closers = append(s.closers, outR, errR)
	s.cmd.Stdout, s.cmd.Stderr = outW, errW
	var inW *os.File
	if s.opts.Stdin != nil {
		var inR *os.File
		if inR, inW, err = os.Pipe(); err != nil {
			s.closeAll(outW, errW)
			return err
		}
		s.cmd.Stdin = inR
		defer inR.Close()
		s.closers = append(s.closers, inW)
	}
	err = s.start()
	// The child has its own copies now.
	outW.Close()
	errW.Close()
	if err != nil {
		s.closeAll()
		return err
	}
	if inW != nil {
		go func() {
			_, _ = io.Copy(inW, s.opts.Stdin)
			inW.Close() // EOF for the command
		}()
	}
	s.outDone = make(chan struct{})
	go func() {
		defer close(s.outDone)
		errDone := make(chan struct{})
		go func() {
			defer close(errDone)
			_, _ = io.Copy(s.opts.Stderr, errR)
		}()
		_, _ = io.Copy(s.opts.Stdout, outR)
		<-errDone
	}()
	return nil
}

func (s *execSession) closeAll(extra ...io.Closer) {
	for _, c := range append(s.closers, extra...) {
		_ = c.Close()
	}
}

// wait waits for the command, or kills its process group when ctx is done,
// then kills what is left of the group, collects the output and releases
// the pty and pipes.
func (s *execSession) wait(ctx context.Context) (*drivers.ExitResult, error) {
	pid := s.cmd.Process.Pid
	waited := make(chan error, 1)
	go func() { waited <- s.cmd.Wait() }()
	var werr error
	select {
	case werr = <-waited:
	case <-ctx.Done():
		_ = unix.Kill(-pid, unix.SIGKILL)
		werr = <-waited
	}
	// The session is over: nothing it started may outlive it.
	_ = unix.Kill(-pid, unix.SIGKILL)
	select {
	case <-s.outDone:
	case <-time.After(outputDrainTimeout):
	}
	s.closeAll()
	<-s.outDone
	var exitErr *exec.ExitError
	if werr != nil && !errors.As(werr, &exitErr) {
		return nil, fmt.Errorf("waiting for %s: %w", s.cmd.Args[0], werr)
	}
	code, sig := exitStatus(s.cmd.ProcessState)
	return &drivers.ExitResult{ExitCode: code, Signal: sig}, nil
}
