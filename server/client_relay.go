package server

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/transport"
)

// The relays to a node's client (logs, stdin, operations) share three
// steps: find the allocation's node, open a stream on the session that
// node's client opened to this server, or else ask the other servers.

// allocNode returns the allocation whose node a relay must reach.
func (s *Server) allocNode(allocID string) (*structs.Allocation, error) {
	alloc, err := s.State().AllocByID(nil, allocID)
	if err != nil {
		return nil, fmt.Errorf("look up allocation %s: %w", allocID, err)
	}
	if alloc == nil {
		return nil, fmt.Errorf("allocation %q: %w", allocID, structs.ErrNotFound)
	}
	return alloc, nil
}

// openClientStream opens a stream of the given kind to a node's client over
// the session it opened to this server; nil without such a session. Only
// a session that announced the node's own secret is used (client_sessions.go).
func (s *Server) openClientStream(nodeID, nodeName string, kind byte) (net.Conn, error) {
	sess := s.nodeSession(nodeID)
	if sess == nil {
		return nil, nil
	}
	st, err := sess.OpenStream()
	if err != nil {
		return nil, fmt.Errorf("reach node %s: %w", nodeName, err)
	}
	if _, err := st.Write([]byte{kind}); err != nil {
		st.Close()
		return nil, fmt.Errorf("reach node %s: %w", nodeName, err)
	}
	return st, nil
}

// forEachOtherServer calls try with the RPC address of every other Raft
// peer until try reports done; it tells whether one did.
func (s *Server) forEachOtherServer(try func(addr string) (done bool)) (bool, error) {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return false, err
	}
	for _, peer := range f.Configuration().Servers {
		if addr := string(peer.Address); addr != s.config.RPCAddr && try(addr) {
			return true, nil
		}
	}
	return false, nil
}

// forwardLogsRequest asks the other servers in turn, each on a
// StreamForward stream, to relay req (marked not to be forwarded again)
// with send, until one has a session to the node. The stream is closed
// when send returns.
func (s *Server) forwardLogsRequest(ctx context.Context, req *transport.LogsRequest, nodeName string, send func(st net.Conn, fwd *transport.LogsRequest) error) error {
	if req.NoForward {
		return noSessionHere(nodeName)
	}
	fwd := *req
	fwd.NoForward = true
	var result error
	done, err := s.forEachOtherServer(func(addr string) bool {
		st, err := s.connPool.OpenStream(ctx, addr, transport.StreamForward)
		if err != nil {
			return false
		}
		defer st.Close()
		result = send(st, &fwd)
		return result == nil || !isNoSession(result)
	})
	return relayedOrUnreachable(done, err, result, nodeName)
}

// relayedOrUnreachable is the result of a relay that found no server with
// a session to the node.
func relayedOrUnreachable(done bool, err error, result error, nodeName string) error {
	switch {
	case err != nil:
		return err
	case done:
		return result
	}
	return fmt.Errorf("node %s is not connected to any server: its client may be down", nodeName)
}

func isNoSession(err error) bool {
	return err != nil && strings.Contains(err.Error(), errNoClientSession.Error())
}

// noSessionHere answers a relay that must not be forwarded further.
func noSessionHere(nodeName string) error {
	return fmt.Errorf("node %s: %w", nodeName, errNoClientSession)
}
