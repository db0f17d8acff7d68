package server

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/appmesh/appmesh/transport"
)

// Gossip is open to anyone who reaches its port, and a member's metadata
// is only a claim. With a join token, a member becomes a Raft voter (at
// bootstrap or later) only after its advertised RPC address answers the
// token's challenge as the claimed Raft ID and address
// (transport.Handshake.ProveServer).

const (
	// memberProofRetry is how long a member that failed its proof is left
	// alone, at least: a rogue would otherwise be dialed every second. A
	// proof that failed slowly (a rogue that accepts and never answers
	// holds the membership loop for the dial and handshake timeouts) is
	// left alone for twice as long as it took, so that such a rogue holds
	// the loop a third of the time at most.
	memberProofRetry = 3 * time.Second
	// memberProofWarnEvery limits the warnings about one member.
	memberProofWarnEvery = 30 * time.Second
)

// memberProofLog remembers failed proofs, per claimed identity.
type memberProofLog struct {
	mu sync.Mutex
	// failed holds when a failed identity may be proven again.
	failed  map[transport.ServerIdentity]time.Time
	warned  map[transport.ServerIdentity]time.Time
	refused atomic.Int64 // failed proofs in all, for tests and debugging
}

// proveMember reports whether the member claiming id at rpcAddr proved
// the join token (always true without a token: servers are trusted).
func (s *Server) proveMember(name, id, rpcAddr string) bool {
	if (s.handshake == nil && s.config.TLS == nil) || rpcAddr == s.config.RPCAddr {
		return true
	}
	want := transport.ServerIdentity{ID: id, Addr: rpcAddr}
	l := &s.memberProofs
	l.mu.Lock()
	if l.failed == nil {
		l.failed = map[transport.ServerIdentity]time.Time{}
		l.warned = map[transport.ServerIdentity]time.Time{}
	}
	if retryAt, ok := l.failed[want]; ok && time.Now().Before(retryAt) {
		l.mu.Unlock()
		return false
	}
	l.mu.Unlock()

	start := time.Now()
	err := s.proveServer(rpcAddr, want)

	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		delete(l.failed, want)
		delete(l.warned, want)
		return true
	}
	l.refused.Add(1)
	l.failed[want] = time.Now().Add(max(memberProofRetry, 2*time.Since(start)))
	if time.Since(l.warned[want]) >= memberProofWarnEvery {
		l.warned[want] = time.Now()
		s.logger.Warn("not making a gossip member a Raft voter: it did not prove the server join token or certificate", "node", name, "id", id, "rpc_addr", rpcAddr, "error", err)
	}
	return false
}
