package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/transport"
	"github.com/hashicorp/yamux"
)

// leaderWaitTimeout is how long a request waits for an election to finish
// before it fails with "no cluster leader".
const leaderWaitTimeout = 5 * time.Second

// setupListener binds the server's single TCP port for Raft and RPC, so a
// taken port fails the start early. Connections wait in the backlog until
// startAccepting, which runs once Raft exists to serve them.
func (s *Server) setupListener() error {
	ln, err := net.Listen("tcp", s.config.RPCBindAddr)
	if err != nil {
		return fmt.Errorf("listen for RPC on %s: %w", s.config.RPCBindAddr, err)
	}
	s.listener = ln
	return nil
}

func (s *Server) startAccepting() {
	s.wg.Add(1)
	go s.acceptLoop(s.listener)
}

func (s *Server) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if s.shutdownCtx.Err() != nil {
				return
			}
			s.logger.Warn("accept RPC connection", "error", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go s.handleConn(conn)
	}
}

// handleConn reads the connection kind and hands the connection over.
// With a join token, Raft connections must come proven (ConnProven), and
// only proven RPC sessions may act as a server (see handleStream); plain
// RPC sessions are clients and client-only agents.
func (s *Server) handleConn(conn net.Conn) {
	proven := s.handshake == nil // without a token every server is trusted
	if s.config.TLS != nil {
		var ok bool
		if conn, proven, ok = s.acceptTLS(conn); !ok {
			return
		}
	}
	var kind [1]byte
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(conn, kind[:]); err != nil {
		conn.Close()
		return
	}
	_ = conn.SetReadDeadline(time.Time{})
	if kind[0] == transport.ConnProven {
		if s.handshake == nil {
			s.logger.Warn("a server tried to prove a join token, but this server has none: set the same server join_token on every server", "remote", conn.RemoteAddr())
			transport.RefuseHandshake(conn)
			conn.Close()
			return
		}
		k, err := s.handshake.Accept(conn)
		if err != nil {
			s.logger.Warn("refused a server connection that did not prove the join token", "remote", conn.RemoteAddr(), "error", err)
			conn.Close()
			return
		}
		kind[0], proven = k, true
	}
	switch kind[0] {
	case transport.ConnRaft:
		if !proven {
			s.logger.Warn("refused a Raft connection that did not prove the join token or a server certificate", "remote", conn.RemoteAddr())
			conn.Close()
			return
		}
		if err := s.raftLayer.Handoff(conn); err != nil {
			conn.Close()
		}
	case transport.ConnRPC:
		sess, err := yamux.Server(conn, transport.YamuxConfig())
		if err != nil {
			conn.Close()
			return
		}
		transport.AcceptStreams(sess, func(k byte, st net.Conn) { s.handleStream(sess, proven, k, st) }, s.logger)
		s.clients.dropSession(sess)
	case transport.ConnProbe:
		s.answerProbe(conn, proven)
		conn.Close() // the handshake was all the prober wanted
	default:
		s.logger.Warn("unknown connection kind", "kind", kind[0], "remote", conn.RemoteAddr())
		conn.Close()
	}
}

// handleStream serves one stream of an RPC session. proven tells whether
// the session proved the join token (or none is set): only such a session
// may make the calls servers make to each other.
func (s *Server) handleStream(sess *yamux.Session, proven bool, kind byte, st net.Conn) {
	switch kind {
	case transport.StreamRPC:
		// Every call passes the RPC door (authorizeRPC); on a session that
		// did not prove the join token, server-only calls are refused first.
		check := s.authorizeRPC
		if !proven {
			check = func(method string, args any) error {
				if err := refuseServerOnlyCalls(method, args); err != nil {
					return err
				}
				return s.authorizeRPC(method, args)
			}
		}
		transport.ServeStreamChecked(s.rpcServer, st, check)
	case transport.StreamHello:
		s.serveHello(sess, st)
	case transport.StreamForward:
		s.serveForwardedStream(st, proven)
	case transport.StreamForwardExec:
		s.serveForwardedExec(st, proven)
	case transport.StreamEvents:
		s.serveEventStream(st)
	default:
		st.Close()
	}
}

// refuseServerOnlyCalls refuses, on a session that did not prove the join
// token, the calls only a server makes: a relay to a node marked as
// already forwarded (NoForward) is one server asking another.
func refuseServerOnlyCalls(method string, args any) error {
	if cc, ok := args.(*structs.ClientCallRequest); ok && cc.NoForward {
		return errNotAServer
	}
	return nil
}

// errNotAServer refuses a server-to-server request from a connection that
// did not prove the join token.
var errNotAServer = errors.New("Permission denied: only a server that proved the join token may relay an already forwarded request")

// forward sends a call to the leader when this server is not the leader.
// It reports whether the call was handled remotely. When the leader cannot
// be reached (it just died), the call waits for the next leader and is
// retried, within leaderWaitTimeout: endpoints are idempotent upserts, so a
// retry after a lost answer is safe, and users see no error for a failover.
func (s *Server) forward(method string, allowStale bool, args, reply any) (bool, error) {
	if allowStale {
		return false, nil
	}
	if local, err := s.serveAsLeader(args); local || err != nil {
		return err != nil, err
	}
	deadline := time.Now().Add(leaderWaitTimeout)
	for {
		leader, err := s.waitLeaderAddr()
		if err != nil {
			return true, err
		}
		if leader == s.config.RPCAddr { // we just became the leader
			if local, err := s.serveAsLeader(args); local || err != nil {
				return err != nil, err
			}
			s.awaitLeaderChange(leader, deadline)
			continue
		}
		ctx, cancel := context.WithTimeout(s.shutdownCtx, structs.MaxBlockingQueryTime+time.Minute)
		err = s.connPool.RPC(ctx, leader, method, args, reply)
		cancel()
		if err == nil {
			return true, nil
		}
		if transport.IsServerError(err) || time.Now().After(deadline) || s.shutdownCtx.Err() != nil {
			return true, restoreError(err)
		}
		s.logger.Debug("leader unreachable, waiting for the next one", "leader", leader, "method", method, "error", err)
		s.awaitLeaderChange(leader, deadline)
	}
}

// awaitLeaderChange waits until the known leader is no longer `old` (or
// the deadline passes).
func (s *Server) awaitLeaderChange(old string, deadline time.Time) {
	for time.Now().Before(deadline) && s.shutdownCtx.Err() == nil {
		if l := s.Leader(); l != old {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// waitLeaderAddr returns the leader's address, waiting out an election.
func (s *Server) waitLeaderAddr() (string, error) {
	deadline := time.Now().Add(leaderWaitTimeout)
	for {
		if l := s.Leader(); l != "" {
			return l, nil
		}
		if time.Now().After(deadline) || s.shutdownCtx.Err() != nil {
			return "", structs.ErrNoLeader
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var errNoClientSession = errors.New("the node's client is not connected to this server")
