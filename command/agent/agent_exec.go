package agent

import (
	"context"
	"errors"
	"net"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/transport"
)

// OpenExec starts an interactive exec session (alloc exec -i/-t) on the
// node that runs the allocation, relayed exactly like the other
// allocation operations: the local client when the allocation is here,
// otherwise through this agent's server, or the servers a client-only
// agent knows. The returned conn carries the session's msgpack frames
// (drivers.FrameConn); closing it ends the session and kills the command.
func (a *Agent) OpenExec(ctx context.Context, req *transport.ExecRequest) (net.Conn, error) {
	if a.client != nil && a.client.HasAlloc(req.AllocID) {
		mine, theirs := net.Pipe()
		// Owned by the session: it ends when either end of the pipe closes.
		go a.serveLocalExec(req, theirs)
		return mine, nil
	}
	if a.server != nil {
		return a.server.OpenClientExec(ctx, req)
	}
	if a.remote == nil {
		return nil, errors.New("this agent runs no client and reaches no server")
	}
	return a.remote.forwardExec(ctx, req)
}

// serveLocalExec runs a session in this agent's own client.
func (a *Agent) serveLocalExec(req *transport.ExecRequest, conn net.Conn) {
	base := drivers.ExecOptions{Command: req.Cmd, Tty: req.Tty}
	if req.Height > 0 && req.Width > 0 {
		base.Size = &drivers.TerminalSize{Height: req.Height, Width: req.Width}
	}
	// The session's own reader cancels it when conn ends.
	a.client.ExecStream(context.Background(), req.AllocID, req.Task, base, drivers.NewFrameConn(conn, nil))
}

// ServeExec lets the server run sessions in this agent's own client.
func (l localClient) ServeExec(_ context.Context, req *transport.ExecRequest, conn net.Conn) {
	l.a.serveLocalExec(req, conn)
}

// serveExecStream answers a StreamExec stream a server opened back to this
// client-only agent.
func (a *Agent) serveExecStream(st net.Conn) {
	req, err := transport.ReadExecRequest(st)
	if err != nil {
		st.Close()
		return
	}
	if err := transport.WriteStreamStatus(st, nil); err != nil {
		st.Close()
		return
	}
	a.serveLocalExec(req, st)
}

// forwardExec asks a server to relay the session to the allocation's node.
func (r *serverRPC) forwardExec(ctx context.Context, req *transport.ExecRequest) (net.Conn, error) {
	addr := r.pick()
	if addr == "" {
		return nil, errors.New("no servers known")
	}
	st, err := r.pool.OpenStream(ctx, addr, transport.StreamForwardExec)
	if err != nil {
		return nil, err
	}
	return transport.StartExec(ctx, st, req)
}
