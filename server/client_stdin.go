package server

import (
	"context"
	"io"
	"net"

	"github.com/appmesh/appmesh/transport"
)

// stdinLocalClient is a LocalClient that can also feed a task's stdin.
type stdinLocalClient interface {
	WriteStdin(ctx context.Context, allocID, task string, r io.Reader) error
}

// StreamClientStdin sends r as a task's standard input to the client that
// runs the allocation: the server's own client, or over the connection the
// client opened to this server (transport.StreamStdin), or else through
// the server the client is connected to. It returns when r ends, when the
// client stops reading (the task is gone) or when ctx is done.
func (s *Server) StreamClientStdin(ctx context.Context, allocID, task string, r io.Reader) error {
	req := &transport.LogsRequest{AllocID: allocID, Task: task, Type: transport.LogTypeStdin}
	return s.streamClientStdin(ctx, req, r)
}

func (s *Server) streamClientStdin(ctx context.Context, req *transport.LogsRequest, r io.Reader) error {
	alloc, err := s.allocNode(req.AllocID)
	if err != nil {
		return err
	}
	if c, ok := s.localClientFor(alloc.NodeID).(stdinLocalClient); ok {
		return c.WriteStdin(ctx, req.AllocID, req.Task, r)
	}
	st, err := s.openClientStream(alloc.NodeID, alloc.NodeName, transport.StreamStdin)
	if err != nil || st != nil {
		if err != nil {
			return err
		}
		defer st.Close()
		return transport.SendStdin(ctx, st, req, r)
	}
	// A server without a session answers before any input is read, so the
	// next one can still be asked.
	return s.forwardLogsRequest(ctx, req, alloc.NodeName, func(st net.Conn, fwd *transport.LogsRequest) error {
		return transport.SendStdin(ctx, st, fwd, r)
	})
}

// serveForwardedStdin answers a stdin request another server or a
// client-only agent forwarded on a StreamForward stream.
func (s *Server) serveForwardedStdin(st net.Conn, req *transport.LogsRequest) {
	ctx, cancel := context.WithCancel(s.shutdownCtx)
	defer cancel()
	_ = transport.ServeStdinRequest(st, req, func(req *transport.LogsRequest, r io.Reader) error {
		return s.streamClientStdin(ctx, req, r)
	})
}
