package transport

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/hashicorp/go-msgpack/v2/codec"

	"github.com/appmesh/appmesh/structs"
)

// Interactive exec (alloc exec -i/-t) streams. The opener writes the kind
// byte and an ExecRequest; the far end answers with a stream status (an
// error such as "no session to that node" ends the stream there), then
// both sides exchange the session's msgpack frames (drivers.ExecFrame)
// until the node's client closes the stream after the last frame. Relays
// copy the bytes both ways without reading the frames.
const (
	// StreamExec (server → client) runs the session on the client.
	StreamExec byte = 'x'
	// StreamForwardExec (agent or server → server) asks a server to
	// relay the session to the allocation's node.
	StreamForwardExec byte = 'X'
)

// ExecRequest opens an interactive exec session.
type ExecRequest struct {
	AllocID string   `json:"alloc_id"`
	Task    string   `json:"task"`
	Cmd     []string `json:"cmd"`
	Tty     bool     `json:"tty"`
	// Height and Width are the terminal's size at start (0: unknown).
	Height uint16 `json:"height,omitempty"`
	Width  uint16 `json:"width,omitempty"`
	// NoForward stops a server from asking other servers (loop guard).
	NoForward bool `json:"no_forward"`
}

// WriteExecRequest sends the request header.
func WriteExecRequest(w io.Writer, req *ExecRequest) error {
	if err := codec.NewEncoder(w, structs.MsgpackHandle).Encode(req); err != nil {
		return fmt.Errorf("send exec request: %w", err)
	}
	return nil
}

// ReadExecRequest reads the request header.
func ReadExecRequest(r io.Reader) (*ExecRequest, error) {
	var req ExecRequest
	if err := codec.NewDecoder(r, structs.MsgpackHandle).Decode(&req); err != nil {
		return nil, fmt.Errorf("read exec request: %w", err)
	}
	return &req, nil
}

// StartExec sends req on st (a stream whose kind byte was sent) and waits
// for the far end's status. On success the returned conn carries the
// session's frames; on error st is closed. ctx bounds only the start.
func StartExec(ctx context.Context, st net.Conn, req *ExecRequest) (net.Conn, error) {
	stop := CloseOnDone(ctx, st)
	defer stop()
	if err := WriteExecRequest(st, req); err != nil {
		st.Close()
		return nil, err
	}
	r, err := ReadStreamStatus(st)
	if err != nil {
		st.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("start exec session: %w", ctx.Err())
		}
		return nil, err
	}
	return &bufferedConn{Conn: st, r: r}, nil
}

// bufferedConn reads through the reader that read the status (it may hold
// the first frames already).
type bufferedConn struct {
	net.Conn
	r io.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// Splice copies a and b into each other until either side ends, then
// closes both and waits for both copies. A session ends at the node (the
// last frame was copied, then EOF) or at the user (EOF, which the node
// sees as the end of the session).
func Splice(a, b net.Conn) {
	var once sync.Once
	closeBoth := func() {
		once.Do(func() {
			a.Close()
			b.Close()
		})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(a, b)
		closeBoth()
	}()
	_, _ = io.Copy(b, a)
	closeBoth()
	<-done
}
