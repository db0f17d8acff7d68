package server

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/transport"
)

// LocalClient is the client running in the same agent as this server. Its
// node has no session to any server (it calls in-process), so operations
// and logs for it are served directly.
type LocalClient interface {
	NodeID() string
	StreamLogs(ctx context.Context, allocID, task, logType string, follow bool, offset int64, w io.Writer) error
	HandleClientCall(op string, body []byte) ([]byte, error)
}

type localClientSlot struct {
	mu sync.RWMutex
	c  LocalClient
}

// SetLocalClient registers the agent's own client.
func (s *Server) SetLocalClient(c LocalClient) {
	s.local.mu.Lock()
	defer s.local.mu.Unlock()
	s.local.c = c
}

func (s *Server) localClientFor(nodeID string) LocalClient {
	s.local.mu.RLock()
	defer s.local.mu.RUnlock()
	if s.local.c != nil && s.local.c.NodeID() == nodeID {
		return s.local.c
	}
	return nil
}

// clientCallTimeout bounds a relayed operation (exec has its own timeout
// inside the body; this is the outer guard).
const clientCallTimeout = 10 * time.Minute

// ClientCall relays an operation to a node's client: in-process for this
// agent's own client, over the client's session when it is connected here,
// otherwise through the other servers.
func (n *Node) ClientCall(args *structs.ClientCallRequest, reply *structs.ClientCallResponse) error {
	s := n.srv
	if c := s.localClientFor(args.NodeID); c != nil {
		body, err := c.HandleClientCall(args.Op, args.Body)
		reply.Body = body
		return err
	}
	if sess := s.clients.get(args.NodeID); sess != nil {
		st, err := sess.OpenStream()
		if err != nil {
			return fmt.Errorf("reach node %s: %w", args.NodeID, err)
		}
		defer st.Close()
		_ = st.SetDeadline(time.Now().Add(clientCallTimeout))
		if _, err := st.Write([]byte{transport.StreamClientCall}); err != nil {
			return fmt.Errorf("reach node %s: %w", args.NodeID, err)
		}
		body, err := transport.DoClientCall(st, args)
		reply.Body = body
		return err
	}
	if args.NoForward {
		return fmt.Errorf("node %s: %w", args.NodeID, errNoClientSession)
	}
	return n.forwardClientCall(args, reply)
}

// forwardClientCall asks every other server for the node's session.
func (n *Node) forwardClientCall(args *structs.ClientCallRequest, reply *structs.ClientCallResponse) error {
	f := n.srv.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return err
	}
	fwd := *args
	fwd.NoForward = true
	for _, peer := range f.Configuration().Servers {
		addr := string(peer.Address)
		if addr == n.srv.config.RPCAddr {
			continue
		}
		ctx, cancel := context.WithTimeout(n.srv.shutdownCtx, clientCallTimeout)
		err := n.srv.connPool.RPC(ctx, addr, "Node.ClientCall", &fwd, reply)
		cancel()
		switch {
		case err == nil:
			return nil
		case transport.IsServerError(err) && !isNoSession(err):
			return restoreError(err) // the node answered with an error
		}
		// Not connected to that server, or it is unreachable: next one.
	}
	return fmt.Errorf("node %s is not connected to any server: its client may be down", args.NodeID)
}
