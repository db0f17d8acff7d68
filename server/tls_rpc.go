package server

import (
	"context"
	"fmt"
	"net"

	"github.com/appmesh/appmesh/transport"
)

// With TLS on the RPC port (Config.TLS), every connection starts with a
// mutual TLS handshake against the cluster's CA, so a plaintext peer or a
// certificate of another CA never gets further, and neither does one of
// the CA that names no agent role (the CLI's: the CLI speaks HTTP). A peer is a server, the
// way a join-token proof made it one, only when its certificate carries
// the name server.<region>.appmesh: a client agent's certificate of the
// same CA (client.<region>.appmesh) may register its node and heartbeat,
// but not speak Raft, relay for a server or become a voter.

// setupRPCTLS makes every outbound server connection run mutual TLS. The
// join token is not used with TLS: the certificate is the proof.
func (s *Server) setupRPCTLS(id string) {
	if s.config.TLS == nil {
		return
	}
	if s.handshake != nil {
		s.logger.Warn("server join_token is ignored: with tls rpc = true a server proves itself by its certificate")
		s.handshake = nil
		s.connPool.Handshake = nil
	}
	s.connPool.TLS = func(ctx context.Context, conn net.Conn) (net.Conn, error) {
		return s.config.TLS.Client(ctx, conn)
	}
	s.tlsSelf = transport.ServerIdentity{ID: id, Addr: s.config.RPCAddr}
}

// acceptTLS runs the listener's handshake; it reports whether the peer is
// a server, and ok=false when the connection was refused (and closed).
func (s *Server) acceptTLS(conn net.Conn) (_ net.Conn, server, ok bool) {
	tc, err := s.config.TLS.Server(s.shutdownCtx, conn)
	if err != nil {
		s.logger.Warn("refused a connection without a valid TLS client certificate of the cluster's CA", "remote", conn.RemoteAddr(), "error", err)
		conn.Close()
		return nil, false, false
	}
	if !s.config.TLS.PeerIsAgent(tc.ConnectionState()) {
		s.logger.Warn("refused an RPC connection whose certificate is neither a server's nor a client's", "remote", conn.RemoteAddr(),
			"subject", tc.ConnectionState().PeerCertificates[0].Subject.CommonName)
		tc.Close()
		return nil, false, false
	}
	return tc, s.config.TLS.PeerIsServer(tc.ConnectionState()), true
}

// answerProbe tells a prover with a server certificate who this server is
// (see proveServer); anyone else gets nothing.
func (s *Server) answerProbe(conn net.Conn, proven bool) {
	if s.config.TLS == nil || !proven {
		return
	}
	if err := transport.AnswerProbe(conn, s.tlsSelf); err != nil {
		s.logger.Debug("answer a server probe", "remote", conn.RemoteAddr(), "error", err)
	}
}

// proveServer checks that the server at addr is one of the cluster's and
// answers as want: with TLS, by its certificate's name and its probe
// answer; otherwise by the join-token handshake.
func (s *Server) proveServer(addr string, want transport.ServerIdentity) error {
	if s.config.TLS == nil {
		return s.handshake.ProveServer(addr, want)
	}
	conn, err := net.DialTimeout("tcp", addr, transport.DialTimeout)
	if err != nil {
		return fmt.Errorf("dial %s: %w", addr, err)
	}
	defer conn.Close()
	tc, err := s.config.TLS.Client(s.shutdownCtx, conn)
	if err != nil {
		return fmt.Errorf("server at %s: %w", addr, err)
	}
	// Checked here whatever verify_server_hostname says: a voter must be
	// a server.
	if !s.config.TLS.PeerIsServer(tc.ConnectionState()) {
		return fmt.Errorf("server at %s: its certificate does not carry the name %s", addr, s.config.TLS.ServerName())
	}
	if _, err := tc.Write([]byte{transport.ConnProbe}); err != nil {
		return fmt.Errorf("server at %s: %w", addr, err)
	}
	got, err := transport.ReadProbeAnswer(tc)
	if err != nil {
		return fmt.Errorf("server at %s: %w", addr, err)
	}
	if got != want {
		return fmt.Errorf("server at %s answers as %q (%s), not as the claimed %q (%s)", addr, got.ID, got.Addr, want.ID, want.Addr)
	}
	return nil
}
