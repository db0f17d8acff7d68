package api

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/appmesh/appmesh/drivers"
)

// TerminalSize is a terminal's size in character cells.
type TerminalSize = drivers.TerminalSize

// ExecStreamOptions describe an interactive command (alloc exec -i/-t).
type ExecStreamOptions struct {
	// Task may be empty for a one-task allocation.
	Task string
	// Command is the program and its arguments; no shell is involved.
	Command []string
	// TTY runs the command on a pseudo-terminal in the task; its output
	// then all arrives on Stdout.
	TTY bool
	// Stdin is sent to the command; nil closes its input at once. A read
	// of Stdin may still be pending when ExecStream returns.
	Stdin io.Reader
	// Stdout and Stderr receive the output (nil: discarded).
	Stdout io.Writer
	Stderr io.Writer
	// Size is the terminal's size at start, Resize its later sizes.
	Size   *TerminalSize
	Resize <-chan TerminalSize
}

// ExecStream runs a command interactively in a task over a WebSocket and
// returns its exit code (128+N when killed by signal N). Errors from the
// agent (unknown allocation or task, command not found ...) are
// *StatusError values. Canceling ctx ends the session and kills the
// command.
func (a *Allocations) ExecStream(ctx context.Context, allocID string, opts *ExecStreamOptions) (int, error) {
	ws, err := a.dialExec(ctx, allocID, opts)
	if err != nil {
		return 0, err
	}
	defer ws.Close()
	stop := context.AfterFunc(ctx, func() { ws.Close() })
	defer stop()
	s := &execClient{ws: ws}
	done := make(chan struct{})
	defer close(done)
	go s.sendStdin(opts.Stdin, done)
	if opts.Resize != nil {
		go drivers.FollowResize(done, opts.Resize, func(sz TerminalSize) bool {
			return s.send(&drivers.ExecFrame{TTYSize: &sz}) == nil
		})
	}
	code, err := s.readOutput(orDiscard(opts.Stdout), orDiscard(opts.Stderr))
	if err != nil && ctx.Err() != nil {
		return 0, fmt.Errorf("exec: %w", ctx.Err())
	}
	return code, err
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// dialExec opens the WebSocket; a refused upgrade becomes a StatusError.
func (a *Allocations) dialExec(ctx context.Context, allocID string, opts *ExecStreamOptions) (*websocket.Conn, error) {
	cmd, err := json.Marshal(opts.Command)
	if err != nil {
		return nil, fmt.Errorf("encode command: %w", err)
	}
	params := url.Values{"command": {string(cmd)}, "tty": {strconv.FormatBool(opts.TTY)}}
	if opts.Task != "" {
		params.Set("task", opts.Task)
	}
	if opts.Size != nil {
		params.Set("tty_height", strconv.Itoa(int(opts.Size.Height)))
		params.Set("tty_width", strconv.Itoa(int(opts.Size.Width)))
	}
	req, err := a.c.newRequest(ctx, http.MethodGet, "/v1/client/allocation/"+escapeID(allocID)+"/exec", params, nil)
	if err != nil {
		return nil, err
	}
	u := *req.URL
	u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	dialer := websocket.Dialer{HandshakeTimeout: 30 * time.Second, Proxy: http.ProxyFromEnvironment}
	if t, ok := a.c.http.Transport.(*http.Transport); ok && t.TLSClientConfig != nil {
		dialer.TLSClientConfig = t.TLSClientConfig.Clone()
	} else {
		dialer.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	header := http.Header{}
	if tok := req.Header.Get(TokenHeader); tok != "" {
		header.Set(TokenHeader, tok)
	}
	ws, resp, err := dialer.DialContext(ctx, u.String(), header)
	if err != nil {
		if resp != nil {
			defer resp.Body.Close()
			return nil, newStatusError(resp)
		}
		return nil, fmt.Errorf("exec: connect to %s: %w", a.c.base.Host, err)
	}
	ws.SetReadLimit(16 << 20)
	return ws, nil
}

// execClient is the SDK's end of a session.
type execClient struct {
	ws  *websocket.Conn
	wmu sync.Mutex
}

func (s *execClient) send(f *drivers.ExecFrame) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.ws.WriteMessage(websocket.TextMessage, b)
}

func (s *execClient) sendStdin(r io.Reader, done <-chan struct{}) {
	if r != nil {
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 && s.send(&drivers.ExecFrame{Stdin: &drivers.ExecData{Data: buf[:n]}}) != nil {
				return
			}
			if err != nil {
				break
			}
		}
	}
	select {
	case <-done:
	default:
		_ = s.send(&drivers.ExecFrame{Stdin: &drivers.ExecData{Close: true}})
	}
}

// readOutput copies output until the exit (or error) message.
func (s *execClient) readOutput(stdout, stderr io.Writer) (int, error) {
	for {
		_, data, err := s.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) && ce.Code >= 4000 {
				return 0, &StatusError{Code: ce.Code - 4000, Message: ce.Text}
			}
			return 0, fmt.Errorf("exec: the session ended without a result: %w", err)
		}
		var f drivers.ExecFrame
		if err := json.Unmarshal(data, &f); err != nil {
			return 0, fmt.Errorf("exec: malformed message from the agent: %w", err)
		}
		switch {
		case f.Stdout != nil:
			if _, err := stdout.Write(f.Stdout.Data); err != nil {
				return 0, fmt.Errorf("exec: write output: %w", err)
			}
		case f.Stderr != nil:
			if _, err := stderr.Write(f.Stderr.Data); err != nil {
				return 0, fmt.Errorf("exec: write output: %w", err)
			}
		case f.Error != nil:
			return 0, &StatusError{Code: f.Error.Code, Message: f.Error.Message}
		case f.Exited && f.Result != nil:
			return f.Result.ExitCode, nil
		}
	}
}
