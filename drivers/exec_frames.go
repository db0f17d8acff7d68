package drivers

import (
	"bufio"
	"fmt"
	"io"
	"sync"

	"github.com/hashicorp/go-msgpack/v2/codec"

	"github.com/appmesh/appmesh/structs"
)

// An interactive exec session travels as frames, the same ones at every
// hop: JSON messages on the user's WebSocket, msgpack on the streams
// between agents and on the stream between the client and its driver
// plugin. Relays copy bytes; only the two ends read frames.

// ExecFrame is one message of an exec session. A frame sets one field:
// stdin and tty_size go towards the command, stdout, stderr and the last
// frame (exited with result, or error) come back.
type ExecFrame struct {
	Stdin   *ExecData     `json:"stdin,omitempty"`
	TTYSize *TerminalSize `json:"tty_size,omitempty"`
	Stdout  *ExecData     `json:"stdout,omitempty"`
	Stderr  *ExecData     `json:"stderr,omitempty"`
	Exited  bool          `json:"exited,omitempty"`
	Result  *ExecExit     `json:"result,omitempty"`
	Error   *ExecError    `json:"error,omitempty"`
}

// ExecData is a chunk of a stream (base64 in JSON), or its end.
type ExecData struct {
	Data  []byte `json:"data,omitempty"`
	Close bool   `json:"close,omitempty"`
}

// ExecExit is how the command ended. ExitCode is 128+N for a command
// killed by signal N, as a shell reports it.
type ExecExit struct {
	ExitCode int `json:"exit_code"`
	Signal   int `json:"signal,omitempty"`
}

// ExecError ends a session that could not run or finish the command.
// Code is the HTTP status that fits it (400, 404, 500, 501).
type ExecError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *ExecError) Error() string { return e.Message }

// Unwrap keeps errors.Is working for the SDK's sentinel errors after the
// error crossed the wire as text.
func (e *ExecError) Unwrap() error { return knownRemoteError(e.Message) }

// ExitOf turns a driver's result into the session's last frame.
func ExitOf(res *ExitResult) *ExecExit {
	out := &ExecExit{ExitCode: res.ExitCode, Signal: res.Signal}
	if res.Signal > 0 && res.ExitCode == 0 {
		out.ExitCode = 128 + res.Signal
	}
	return out
}

// FrameConn reads and writes msgpack frames on a byte stream. Writes may
// come from several goroutines; reads from one.
type FrameConn struct {
	rw  io.ReadWriteCloser
	dec *codec.Decoder
	wmu sync.Mutex
	enc *codec.Encoder
}

// NewFrameConn wraps rw; r, when not nil, is where reading starts (a
// reader that already buffered part of rw).
func NewFrameConn(rw io.ReadWriteCloser, r io.Reader) *FrameConn {
	if r == nil {
		r = rw
	}
	return &FrameConn{
		rw:  rw,
		dec: codec.NewDecoder(bufio.NewReader(r), structs.MsgpackHandle),
		enc: codec.NewEncoder(rw, structs.MsgpackHandle),
	}
}

// Read returns the next frame.
func (c *FrameConn) Read() (*ExecFrame, error) {
	var f ExecFrame
	if err := c.dec.Decode(&f); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("read exec frame: %w", err)
	}
	return &f, nil
}

// Write sends one frame.
func (c *FrameConn) Write(f *ExecFrame) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.enc.Encode(f); err != nil {
		return fmt.Errorf("write exec frame: %w", err)
	}
	return nil
}

// Close closes the stream.
func (c *FrameConn) Close() error { return c.rw.Close() }

// frameWriter turns writes into stdout or stderr frames.
type frameWriter struct {
	c      *FrameConn
	stderr bool
}

func (w frameWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	f := &ExecFrame{Stdout: &ExecData{Data: p}}
	if w.stderr {
		f = &ExecFrame{Stderr: &ExecData{Data: p}}
	}
	if err := w.c.Write(f); err != nil {
		return 0, err
	}
	return len(p), nil
}
