package server

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/yamux"
)

// A client opens its session to a server and announces its node on a
// StreamHello stream: one line, "<node ID> <node secret>\n". The server
// then opens streams back over that session to reach the node (logs,
// exec, stdin, relayed operations). The session must be the node's: a
// connection that learned a node ID must not receive that node's streams.
//
// The hello usually arrives before the node's first registration (the
// session is opened by that very call), so the claim cannot always be
// checked on arrival. Each session's claim keeps the hash of the secret it
// announced, and a session is used for a node only while that hash equals
// the node's SecretHash in the state: a rogue claim is never used, and
// never displaces the real client's.

// maxHelloLine bounds the hello line (an ID and a secret, both UUIDs).
const maxHelloLine = 256

// serveHello reads a hello and records the session's claim.
func (s *Server) serveHello(sess *yamux.Session, st net.Conn) {
	defer st.Close()
	_ = st.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(io.LimitReader(st, maxHelloLine)).ReadString('\n')
	if err != nil {
		return
	}
	fields := strings.Fields(line)
	if len(fields) != 2 {
		s.logger.Warn("ignored a client hello without node ID and node secret", "remote", sess.RemoteAddr())
		return
	}
	nodeID, secret := fields[0], fields[1]
	// The same rule as the node's own calls: a known node's secret must
	// match; an unknown node's claim is kept, and checked when used (get).
	if _, err := checkNodeSecret(s.State(), nodeID, secret); err != nil {
		// The error names neither the secret nor its hash.
		s.logger.Warn("refused a client hello", "node_id", nodeID, "remote", sess.RemoteAddr(), "error", err)
		return
	}
	s.clients.add(nodeID, structs.HashSecret(secret), sess)
}

// clientSessions maps node IDs to the sessions that claim them.
type clientSessions struct {
	mu     sync.Mutex
	byNode map[string][]nodeClaim // newest last
	// bySession holds each session's one claim: a later hello on the same
	// session replaces it, so claims never outnumber sessions.
	bySession map[*yamux.Session]string
}

type nodeClaim struct {
	sess       *yamux.Session
	secretHash string
}

func (c *clientSessions) add(nodeID, secretHash string, s *yamux.Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byNode == nil {
		c.byNode = map[string][]nodeClaim{}
		c.bySession = map[*yamux.Session]string{}
	}
	if prev, ok := c.bySession[s]; ok {
		c.removeLocked(prev, s)
	}
	c.bySession[s] = nodeID
	c.byNode[nodeID] = append(c.byNode[nodeID], nodeClaim{sess: s, secretHash: secretHash})
}

// get returns the newest live session whose claim proves secretHash (the
// node's hash in the state); nil when there is none.
func (c *clientSessions) get(nodeID, secretHash string) *yamux.Session {
	if secretHash == "" {
		return nil // nothing to prove against: the node must register first
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	claims := c.byNode[nodeID]
	for i := len(claims) - 1; i >= 0; i-- {
		cl := claims[i]
		if cl.sess.IsClosed() {
			continue // dropSession removes it when its accept loop ends
		}
		if hashMatches(cl.secretHash, secretHash) {
			return cl.sess
		}
	}
	return nil
}

func (c *clientSessions) dropSession(s *yamux.Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id, ok := c.bySession[s]; ok {
		c.removeLocked(id, s)
		delete(c.bySession, s)
	}
}

func (c *clientSessions) removeLocked(nodeID string, s *yamux.Session) {
	claims := c.byNode[nodeID]
	kept := claims[:0]
	for _, cl := range claims {
		if cl.sess != s {
			kept = append(kept, cl)
		}
	}
	if len(kept) == 0 {
		delete(c.byNode, nodeID)
		return
	}
	c.byNode[nodeID] = kept
}

// nodeSession returns the session of the node's own client on this
// server, checked against the node's secret hash in the state.
func (s *Server) nodeSession(nodeID string) *yamux.Session {
	node, err := s.State().NodeByID(nil, nodeID)
	if err != nil || node == nil {
		return nil
	}
	return s.clients.get(nodeID, node.SecretHash)
}
