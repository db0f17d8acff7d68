package drivers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// ExecErrorOf is the last frame of a session that failed with err.
func ExecErrorOf(err error) *ExecError {
	var ee *ExecError
	if errors.As(err, &ee) {
		return ee
	}
	msg := err.Error()
	switch {
	case errors.Is(err, ErrExecStreamingUnsupported) || strings.HasSuffix(msg, ErrExecStreamingUnsupported.Error()):
		return &ExecError{Code: http.StatusNotImplemented, Message: msg}
	case structs.IsValidation(err):
		return &ExecError{Code: http.StatusBadRequest, Message: strings.TrimPrefix(msg, "invalid: ")}
	case errors.Is(err, ErrTaskNotFound) || structs.IsNotFound(err):
		return &ExecError{Code: http.StatusNotFound, Message: msg}
	}
	return &ExecError{Code: http.StatusInternalServerError, Message: msg}
}

// ServeExecFrames is the end of a session that runs the command: it reads
// stdin and tty_size frames from c into the options it gives run, sends
// the output as frames, and ends with the result (or error) frame. When
// c ends early (the user went away) run's ctx is canceled. It closes c and
// returns once run and its own reader are done.
func ServeExecFrames(ctx context.Context, c *FrameConn, base ExecOptions, run func(context.Context, *ExecOptions) (*ExitResult, error)) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stdinR, stdinW := io.Pipe()
	resize := make(chan TerminalSize, 1)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		readInputFrames(c, stdinW, resize)
		// The far end is gone (or broke the protocol): end the command.
		cancel()
	}()
	opts := base
	opts.Stdin, opts.Resize = stdinR, resize
	opts.Stdout, opts.Stderr = frameWriter{c: c}, frameWriter{c: c, stderr: true}
	res, err := run(ctx, &opts)
	// Unblocks the reader's pending write into the command's input.
	stdinR.CloseWithError(io.ErrClosedPipe)
	last := &ExecFrame{Exited: true}
	switch {
	case err != nil:
		last = &ExecFrame{Error: ExecErrorOf(err)}
	case res == nil:
		last = &ExecFrame{Error: ExecErrorOf(errors.New("exec: the driver returned no result"))}
	default:
		last.Result = ExitOf(res)
	}
	_ = c.Write(last) // the far end may be gone: nobody left to tell
	c.Close()
	<-readerDone
}

// readInputFrames feeds stdin and tty_size frames to the command until c
// ends. A stdin write blocks until the command reads it (backpressure).
func readInputFrames(c *FrameConn, stdin *io.PipeWriter, resize chan TerminalSize) {
	defer stdin.Close()
	for {
		f, err := c.Read()
		if err != nil {
			return
		}
		switch {
		case f.Stdin != nil && f.Stdin.Close:
			stdin.Close()
		case f.Stdin != nil && len(f.Stdin.Data) > 0:
			_, _ = stdin.Write(f.Stdin.Data) // fails only once the command ended
		case f.TTYSize != nil:
			// Only the newest size matters: replace a pending one.
			select {
			case <-resize:
			default:
			}
			resize <- *f.TTYSize
		}
	}
}

// RunExecFrames is the other end: it sends opts.Stdin (then a close frame
// at its end) and opts.Resize as frames on c, writes the output frames to
// opts.Stdout and opts.Stderr, and returns the result of the last frame.
// When ctx is done it closes c, which ends the command at the far end.
// A read of opts.Stdin may still be pending when it returns; it ends when
// the caller closes Stdin or at its next frame write.
func RunExecFrames(ctx context.Context, c *FrameConn, opts *ExecOptions) (*ExitResult, error) {
	opts = opts.WithDefaults()
	defer c.Close()
	done := make(chan struct{})
	defer close(done)
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if opts.Stdin != nil {
		go sendStdinFrames(c, opts.Stdin, done)
	}
	if opts.Resize != nil {
		go FollowResize(done, opts.Resize, func(sz TerminalSize) bool {
			return c.Write(&ExecFrame{TTYSize: &sz}) == nil
		})
	}
	for {
		f, err := c.Read()
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("exec: %w", ctx.Err())
			}
			if err == io.EOF {
				return nil, errors.New("exec: the session ended without a result")
			}
			return nil, err
		}
		switch {
		case f.Stdout != nil:
			if _, err := opts.Stdout.Write(f.Stdout.Data); err != nil {
				return nil, fmt.Errorf("exec: write output: %w", err)
			}
		case f.Stderr != nil:
			if _, err := opts.Stderr.Write(f.Stderr.Data); err != nil {
				return nil, fmt.Errorf("exec: write output: %w", err)
			}
		case f.Error != nil:
			return nil, f.Error
		case f.Exited && f.Result != nil:
			return &ExitResult{ExitCode: f.Result.ExitCode, Signal: f.Result.Signal}, nil
		}
	}
}

func sendStdinFrames(c *FrameConn, r io.Reader, done <-chan struct{}) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			data := append([]byte(nil), buf[:n]...)
			if c.Write(&ExecFrame{Stdin: &ExecData{Data: data}}) != nil {
				return
			}
		}
		if err != nil {
			select {
			case <-done:
			default:
				_ = c.Write(&ExecFrame{Stdin: &ExecData{Close: true}})
			}
			return
		}
	}
}
