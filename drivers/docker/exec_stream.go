package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/appmesh/appmesh/drivers"
)

var _ drivers.ExecStreamer = (*Driver)(nil)

// execOutputDrain bounds how long the output of an ended session is read.
const execOutputDrain = 2 * time.Second

// ExecTaskStreaming runs an interactive command in the container (docker
// exec, with a TTY when asked) as the task's user, following the
// terminal's size. The Engine API has no way to kill an exec, so when the
// session ends early the command's process (group) is killed by its host
// pid, which the engine reports.
func (d *Driver) ExecTaskStreaming(ctx context.Context, id string, opts *drivers.ExecOptions) (*drivers.ExitResult, error) {
	opts = opts.WithDefaults()
	t, err := d.lookup(id)
	if err != nil {
		return nil, err
	}
	if len(opts.Command) == 0 || opts.Command[0] == "" {
		return nil, errors.New("invalid: exec: command is required")
	}
	if t.exited() {
		return nil, fmt.Errorf("invalid: exec in task %s: %w", t.cfg.TaskName, errNotRunning)
	}
	c, err := d.docker()
	if err != nil {
		return nil, err
	}
	if err := checkCommand(ctx, c, t.containerID, opts.Command[0]); err != nil {
		return nil, err
	}
	var size client.ConsoleSize
	if opts.Tty && opts.Size != nil {
		size = client.ConsoleSize{Height: uint(opts.Size.Height), Width: uint(opts.Size.Width)}
	}
	ex, err := c.ExecCreate(ctx, t.containerID, client.ExecCreateOptions{
		User: t.cfg.User, TTY: opts.Tty, Cmd: opts.Command, ConsoleSize: size,
		AttachStdin: opts.Stdin != nil, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return nil, fmt.Errorf("exec in task %s: %w", t.cfg.TaskName, err)
	}
	att, err := c.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{TTY: opts.Tty, ConsoleSize: size})
	if err != nil {
		return nil, fmt.Errorf("exec in task %s: attach: %w", t.cfg.TaskName, err)
	}
	defer att.Close()
	s := &dockerExec{c: c, execID: ex.ID, opts: opts, att: &att.HijackedResponse}
	s.start()
	select {
	case <-s.outDone:
	case <-ctx.Done():
		s.kill()
	case <-t.done:
		s.kill()
	}
	select {
	case <-s.outDone:
	case <-time.After(execOutputDrain):
		att.Close()
		<-s.outDone
	}
	select {
	case <-t.done:
		return nil, fmt.Errorf("exec in task %s: the task stopped", t.cfg.TaskName)
	default:
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("exec in task %s: session ended: %w", t.cfg.TaskName, ctx.Err())
	}
	in, err := c.ExecInspect(context.Background(), ex.ID, client.ExecInspectOptions{})
	if err != nil {
		return nil, fmt.Errorf("exec in task %s: %w", t.cfg.TaskName, err)
	}
	return &drivers.ExitResult{ExitCode: in.ExitCode}, nil
}

// checkCommand turns a missing absolute command into a clear error before
// docker exec would fail with the runtime's message and exit code 126. A
// bare name is looked up in the container's PATH by the runtime itself.
func checkCommand(ctx context.Context, c *client.Client, containerID, command string) error {
	if !strings.HasPrefix(command, "/") {
		return nil
	}
	_, err := c.ContainerStatPath(ctx, containerID, client.ContainerStatPathOptions{Path: command})
	if cerrdefs.IsNotFound(err) {
		return fmt.Errorf("invalid: exec: command %q not found in the container", command)
	}
	return nil // anything else: let the runtime say
}

// dockerExec is one running docker exec and its copying goroutines.
type dockerExec struct {
	c       *client.Client
	execID  string
	opts    *drivers.ExecOptions
	att     *client.HijackedResponse
	outDone chan struct{}
}

// start copies input, output and terminal sizes; outDone closes when the
// output ends (the command and everything holding its output are gone).
func (s *dockerExec) start() {
	s.outDone = make(chan struct{})
	go func() {
		defer close(s.outDone)
		if s.opts.Tty {
			_, _ = io.Copy(s.opts.Stdout, s.att.Reader)
			return
		}
		_, _ = stdcopy.StdCopy(s.opts.Stdout, s.opts.Stderr, s.att.Reader)
	}()
	// The first size is set before any input is sent, so a command that
	// reads before it looks at its terminal sees the right size. (Engines
	// from API 1.42 also take it at create time.)
	if sz := s.opts.Size; s.opts.Tty && sz != nil {
		s.resize(*sz)
	}
	if s.opts.Stdin != nil {
		go func() {
			_, err := io.Copy(s.att.Conn, s.opts.Stdin)
			if err != nil {
				return
			}
			if s.opts.Tty {
				_, _ = s.att.Conn.Write([]byte{0x04}) // Ctrl-D: the end of input on a terminal
				return
			}
			_ = s.att.CloseWrite()
		}()
	}
	if s.opts.Tty && s.opts.Resize != nil {
		go drivers.FollowResize(s.outDone, s.opts.Resize, func(sz drivers.TerminalSize) bool {
			s.resize(sz)
			return true
		})
	}
}

func (s *dockerExec) resize(sz drivers.TerminalSize) {
	if sz.Height == 0 || sz.Width == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = s.c.ExecResize(ctx, s.execID, client.ExecResizeOptions{Height: uint(sz.Height), Width: uint(sz.Width)})
}

// kill ends the exec's process: its group when it leads one (a TTY exec
// is a session leader), and the process itself.
func (s *dockerExec) kill() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	in, err := s.c.ExecInspect(ctx, s.execID, client.ExecInspectOptions{})
	if err == nil && in.Running && in.PID > 0 {
		if pgid, err := syscall.Getpgid(in.PID); err == nil && pgid == in.PID {
			_ = syscall.Kill(-in.PID, syscall.SIGKILL)
		}
		_ = syscall.Kill(in.PID, syscall.SIGKILL)
	}
	s.att.Close()
}
