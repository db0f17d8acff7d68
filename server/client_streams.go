package server

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/appmesh/appmesh/transport"
)

// StreamClientLogs streams a task's output from the client that runs the
// allocation, over the connection that client opened to a server. If the
// client is connected to another server, that server is asked.
func (s *Server) StreamClientLogs(ctx context.Context, req *transport.LogsRequest, w io.Writer) error {
	if req.Type == transport.LogTypeAllocData {
		return s.streamAllocData(ctx, req, w)
	}
	alloc, err := s.allocNode(req.AllocID)
	if err != nil {
		return err
	}
	if c := s.localClientFor(alloc.NodeID); c != nil {
		return c.StreamLogs(ctx, req.AllocID, req.Task, req.Type, req.Follow, req.Offset, w)
	}
	st, err := s.openClientStream(alloc.NodeID, alloc.NodeName, transport.StreamLogs)
	if err != nil || st != nil {
		if err != nil {
			return err
		}
		return pipeLogs(ctx, st, req, w)
	}
	return s.forwardLogsRequest(ctx, req, alloc.NodeName, func(st net.Conn, fwd *transport.LogsRequest) error {
		return pipeLogs(ctx, st, fwd, w)
	})
}

// pipeLogs sends req on st and copies the output to w until the stream ends
// or ctx is done.
func pipeLogs(ctx context.Context, st net.Conn, req *transport.LogsRequest, w io.Writer) error {
	defer st.Close()
	stop := transport.CloseOnDone(ctx, st)
	defer stop()
	if err := transport.WriteLogsRequest(st, req); err != nil {
		return err
	}
	r, err := transport.ReadStreamStatus(st)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil && ctx.Err() == nil {
		return fmt.Errorf("copy logs: %w", err)
	}
	return nil
}

// serveForwardedStream answers a logs (or stdin) request another server
// or a client-only agent forwarded. A request marked as already forwarded
// (NoForward) is one server asking another: it is served only on a session
// that proved the join token (proven).
func (s *Server) serveForwardedStream(st net.Conn, proven bool) {
	defer st.Close()
	req, err := transport.ReadLogsRequest(st)
	if err != nil {
		return
	}
	if req.NoForward && !proven {
		_ = transport.WriteStreamStatus(st, errNotAServer)
		return
	}
	if req.Type == transport.LogTypeStdin {
		s.serveForwardedStdin(st, req)
		return
	}
	ctx, cancel := context.WithCancel(s.shutdownCtx)
	defer cancel()
	sw := &statusWriter{w: st}
	err = s.StreamClientLogs(ctx, req, sw)
	if !sw.started {
		// Nothing was written yet, so the status can still carry the error
		// (or say "ok" for empty output). Once output started, an error can
		// only end the stream.
		_ = transport.WriteStreamStatus(st, err)
	}
}

// statusWriter writes the "ok" status before the first output byte.
type statusWriter struct {
	w       io.Writer
	started bool
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if !s.started {
		s.started = true
		if err := transport.WriteStreamStatus(s.w, nil); err != nil {
			return 0, err
		}
	}
	return s.w.Write(p)
}
