package server

import (
	"context"
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
	// StreamAllocData writes a tar stream of an allocation's data for its
	// replacement on another node (ephemeral_disk migrate).
	StreamAllocData(ctx context.Context, allocID string, w io.Writer) error
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
	st, err := s.openClientStream(args.NodeID, args.NodeID, transport.StreamClientCall)
	if err != nil || st != nil {
		if err != nil {
			return err
		}
		defer st.Close()
		_ = st.SetDeadline(time.Now().Add(clientCallTimeout))
		body, err := transport.DoClientCall(st, args)
		reply.Body = body
		return err
	}
	if args.NoForward {
		return noSessionHere(args.NodeID)
	}
	fwd := *args
	fwd.NoForward = true
	var result error
	done, err := s.forEachOtherServer(func(addr string) bool {
		ctx, cancel := context.WithTimeout(s.shutdownCtx, clientCallTimeout)
		defer cancel()
		result = s.connPool.RPC(ctx, addr, "Node.ClientCall", &fwd, reply)
		// Done when the node answered, with or without an error; otherwise
		// that server has no session to it (or is unreachable): next one.
		return result == nil || transport.IsServerError(result) && !isNoSession(result)
	})
	return relayedOrUnreachable(done, err, restoreError(result), args.NodeID)
}
