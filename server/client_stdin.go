package server

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/appmesh/appmesh/structs"
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
	alloc, err := s.State().AllocByID(nil, req.AllocID)
	if err != nil {
		return fmt.Errorf("look up allocation %s: %w", req.AllocID, err)
	}
	if alloc == nil {
		return fmt.Errorf("allocation %q: %w", req.AllocID, structs.ErrNotFound)
	}
	if c, ok := s.localClientFor(alloc.NodeID).(stdinLocalClient); ok {
		return c.WriteStdin(ctx, req.AllocID, req.Task, r)
	}
	if sess := s.clients.get(alloc.NodeID); sess != nil {
		st, err := sess.OpenStream()
		if err != nil {
			return fmt.Errorf("reach node %s: %w", alloc.NodeName, err)
		}
		defer st.Close()
		if _, err := st.Write([]byte{transport.StreamStdin}); err != nil {
			return fmt.Errorf("reach node %s: %w", alloc.NodeName, err)
		}
		return transport.SendStdin(ctx, st, req, r)
	}
	if req.NoForward {
		return fmt.Errorf("node %s: %w", alloc.NodeName, errNoClientSession)
	}
	return s.forwardStdin(ctx, alloc, req, r)
}

// forwardStdin asks the other servers, one after another, for a client
// session to the allocation's node. A server without one answers before
// any input is read, so the next can still be asked.
func (s *Server) forwardStdin(ctx context.Context, alloc *structs.Allocation, req *transport.LogsRequest, r io.Reader) error {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return err
	}
	fwd := *req
	fwd.NoForward = true
	for _, peer := range f.Configuration().Servers {
		addr := string(peer.Address)
		if addr == s.config.RPCAddr {
			continue
		}
		st, err := s.connPool.OpenStream(ctx, addr, transport.StreamForward)
		if err != nil {
			continue
		}
		err = transport.SendStdin(ctx, st, &fwd, r)
		st.Close()
		if err == nil || !isNoSession(err) {
			return err
		}
	}
	return fmt.Errorf("node %s is not connected to any server: its client may be down", alloc.NodeName)
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
