package server

import (
	"context"
	"net"
	"time"

	"github.com/appmesh/appmesh/transport"
)

// execStartTimeout bounds reaching the node for a forwarded session.
const execStartTimeout = 30 * time.Second

// execLocalClient is a LocalClient that can also run interactive exec
// sessions (alloc exec -i/-t).
type execLocalClient interface {
	// ServeExec runs the session whose frames travel on conn and closes
	// conn at its end.
	ServeExec(ctx context.Context, req *transport.ExecRequest, conn net.Conn)
}

// OpenClientExec starts an interactive exec session on the client that runs
// the allocation: the server's own client, or over the connection the
// client opened to this server (transport.StreamExec), or else through the
// server the client is connected to. The returned conn carries the
// session's frames; closing it ends the session. ctx bounds the start.
func (s *Server) OpenClientExec(ctx context.Context, req *transport.ExecRequest) (net.Conn, error) {
	alloc, err := s.allocNode(req.AllocID)
	if err != nil {
		return nil, err
	}
	if c, ok := s.localClientFor(alloc.NodeID).(execLocalClient); ok {
		mine, theirs := net.Pipe()
		// Owned by the session: it ends when either end of the pipe closes.
		go c.ServeExec(s.shutdownCtx, req, theirs)
		return mine, nil
	}
	st, err := s.openClientStream(alloc.NodeID, alloc.NodeName, transport.StreamExec)
	if err != nil {
		return nil, err
	}
	if st != nil {
		return transport.StartExec(ctx, st, req)
	}
	if req.NoForward {
		return nil, noSessionHere(alloc.NodeName)
	}
	fwd := *req
	fwd.NoForward = true
	var conn net.Conn
	var result error
	done, err := s.forEachOtherServer(func(addr string) bool {
		st, err := s.connPool.OpenStream(ctx, addr, transport.StreamForwardExec)
		if err != nil {
			return false
		}
		conn, result = transport.StartExec(ctx, st, &fwd)
		return result == nil || !isNoSession(result)
	})
	if err := relayedOrUnreachable(done, err, result, alloc.NodeName); err != nil {
		return nil, err
	}
	return conn, nil
}

// serveForwardedExec relays a session another server or a client-only
// agent forwarded on a StreamForwardExec stream. As for logs, a request
// already forwarded (NoForward) must come from a proven server session.
func (s *Server) serveForwardedExec(st net.Conn, proven bool) {
	defer st.Close()
	req, err := transport.ReadExecRequest(st)
	if err != nil {
		return
	}
	if req.NoForward && !proven {
		_ = transport.WriteStreamStatus(st, errNotAServer)
		return
	}
	ctx, cancel := context.WithTimeout(s.shutdownCtx, execStartTimeout)
	conn, err := s.OpenClientExec(ctx, req)
	cancel()
	if werr := transport.WriteStreamStatus(st, err); err != nil || werr != nil {
		if conn != nil {
			conn.Close()
		}
		return
	}
	transport.Splice(st, conn)
}
