package drivers

import (
	"context"
	"errors"
	"io"
)

// Interactive exec (`appmesh alloc exec -i -t`): a driver that can run a
// command inside a task with its input, output and terminal size streamed
// implements ExecStreamer. It is optional, so a third-party driver written
// against an older SDK keeps compiling; the plugin host always offers the
// method and answers ErrExecStreamingUnsupported for a driver without it.

// TerminalSize is a terminal's size in character cells.
type TerminalSize struct {
	Height uint16 `json:"height"`
	Width  uint16 `json:"width"`
}

// ExecOptions describe one interactive command.
type ExecOptions struct {
	// Command is the argv; it is never given to a shell.
	Command []string
	// Tty runs the command on a new pseudo-terminal (its stdin, stdout and
	// stderr, and its controlling terminal); all output goes to Stdout.
	Tty bool
	// Size is the terminal's size at start (Tty only); nil leaves the
	// driver's default.
	Size *TerminalSize
	// Stdin is the command's input; nil gives it none (/dev/null). The
	// driver may leave a read of Stdin pending when it returns: the caller
	// closes Stdin afterwards, as with os/exec.
	Stdin io.Reader
	// Stdout and Stderr receive the output as it is written.
	Stdout io.Writer
	Stderr io.Writer
	// Resize carries the terminal's new sizes (Tty only); may be nil.
	Resize <-chan TerminalSize
}

// ExecStreamer is implemented by drivers that support interactive exec.
type ExecStreamer interface {
	// ExecTaskStreaming runs opts.Command in the task's context (as
	// ExecTask does), streaming its input and output, and returns how it
	// ended. When ctx is done, or the task stops, the command's whole
	// process group is killed and an error is returned. Everything the
	// command held (pty, pipes, goroutines other than a pending Stdin
	// read) is released before it returns.
	ExecTaskStreaming(ctx context.Context, taskID string, opts *ExecOptions) (*ExitResult, error)
}

// WithDefaults returns a copy of opts whose nil Stdout and Stderr discard
// what is written to them.
func (opts *ExecOptions) WithDefaults() *ExecOptions {
	o := *opts
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	return &o
}

// FollowResize calls apply with each size that arrives on sizes, skipping
// empty ones, until done or sizes is closed or apply returns false.
func FollowResize(done <-chan struct{}, sizes <-chan TerminalSize, apply func(TerminalSize) bool) {
	for {
		select {
		case <-done:
			return
		case sz, ok := <-sizes:
			if !ok {
				return
			}
			if sz.Height > 0 && sz.Width > 0 && !apply(sz) {
				return
			}
		}
	}
}

// ErrExecStreamingUnsupported answers an interactive exec on a driver that
// does not implement ExecStreamer.
var ErrExecStreamingUnsupported = errors.New("does not support interactive exec (alloc exec -i/-t): run a non-interactive command instead")

// ErrExecStreamingUnsupported survives the plugin boundary like
// ErrTaskNotFound: fromRPC re-attaches it by its message.
func knownRemoteError(msg string) error {
	for _, target := range []error{ErrTaskNotFound, ErrExecStreamingUnsupported} {
		if len(msg) >= len(target.Error()) && msg[len(msg)-len(target.Error()):] == target.Error() {
			return target
		}
	}
	return nil
}
