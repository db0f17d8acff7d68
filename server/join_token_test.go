package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/transport"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// tokenCluster starts n servers sharing a join token that find each other
// by gossip, and waits until they agree on a leader.
func tokenCluster(t *testing.T, n int, token string) ([]*Server, []string) {
	t.Helper()
	gossip := make([]string, n)
	for i := range gossip {
		gossip[i] = freeAddr(t)
	}
	servers := make([]*Server, n)
	for i := range servers {
		servers[i] = testServerNoWait(t, func(c *Config) {
			c.NodeName = fmt.Sprintf("s%d", i+1)
			c.DataDir = t.TempDir()
			c.BootstrapExpect = n
			c.GossipAddr = gossip[i]
			c.Join = []string{gossip[0]}
			c.JoinToken = token
		})
	}
	waitFor(t, "one leader known by all", func() bool {
		l := servers[0].Leader()
		for _, s := range servers {
			if l == "" || s.Leader() != l {
				return false
			}
		}
		return true
	})
	return servers, gossip
}

func raftVoters(t *testing.T, s *Server) map[string]bool {
	t.Helper()
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, srv := range f.Configuration().Servers {
		if srv.Suffrage == raft.Voter {
			out[string(srv.Address)] = true
		}
	}
	return out
}

// Servers that share a join token form a cluster over proven connections
// and replicate; a server with another token is never made a voter.
func TestJoinToken_ClusterFormsAndRefusesAWrongToken(t *testing.T) {
	servers, gossip := tokenCluster(t, 3, "cluster-token")
	leader, _ := leaderOf(servers)
	if leader == nil {
		t.Fatal("no leader")
	}
	registerJob(t, leader, testJob("replicated", 1, 64))
	waitFor(t, "the job on every server", func() bool {
		for _, s := range servers {
			if j, _ := s.State().JobByID(nil, structs.DefaultNamespace, "replicated"); j == nil {
				return false
			}
		}
		return true
	})
	if v := raftVoters(t, leader); len(v) != 3 {
		t.Fatalf("voters %v, want the 3 servers", v)
	}

	rogue := testServerNoWait(t, func(c *Config) {
		c.NodeName = "rogue"
		c.DataDir = t.TempDir()
		c.BootstrapExpect = 3
		c.GossipAddr = freeAddr(t)
		c.Join = []string{gossip[0]}
		c.JoinToken = "guessed-token"
	})
	waitFor(t, "the leader refused the rogue's proof", func() bool {
		leader, _ = leaderOf(servers)
		if leader == nil {
			return false
		}
		leader.memberProofs.mu.Lock()
		defer leader.memberProofs.mu.Unlock()
		_, refused := leader.memberProofs.failed[transport.ServerIdentity{ID: rogueID(rogue), Addr: rogue.config.RPCAddr}]
		return refused
	})
	if raftVoters(t, leader)[rogue.config.RPCAddr] {
		t.Fatal("a server with a wrong join token was made a voter")
	}
	if rogue.Leader() != "" && rogue.Leader() != rogue.config.RPCAddr {
		t.Fatalf("the rogue follows the cluster's leader %s", rogue.Leader())
	}
}

// rogueID is the Raft ID a server persisted (and gossips).
func rogueID(s *Server) string {
	id, err := s.persistedID()
	if err != nil {
		panic(err)
	}
	return id
}

// On a server with a join token, a connection that did not prove it can
// neither speak Raft nor act as a server relaying an already forwarded
// request; clients and client-only agents (plain sessions) keep working.
func TestJoinToken_UnprovenConnectionsCannotActAsServers(t *testing.T) {
	s := testServer(t, func(c *Config) { c.JoinToken = "cluster-token" })
	addr := s.config.RPCAddr

	// A plain Raft connection is closed at once.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte{transport.ConnRaft}); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second)) // a guard, not the assertion
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("unproven Raft connection: read %v, want it closed", err)
	}
	// So is one that proves a wrong token.
	wrong := transport.NewHandshake("guessed", transport.ServerIdentity{ID: "x", Addr: "x:1"})
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := wrong.Dial(raw, transport.ConnRaft); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("raft with a wrong token: %v", err)
	}

	plain := transport.NewPool(hclog.NewNullLogger())
	defer plain.Close()
	ctx := context.Background()
	var reply structs.ClientCallResponse
	err = plain.RPC(ctx, addr, "Node.ClientCall", &structs.ClientCallRequest{NodeID: "n1", Op: "alloc.signal", NoForward: true}, &reply)
	wantDenied(t, "forwarded client call on a plain session", err)

	st, err := plain.OpenStream(ctx, addr, transport.StreamForward)
	if err != nil {
		t.Fatal(err)
	}
	if err := transport.WriteLogsRequest(st, &transport.LogsRequest{AllocID: "a1", Task: "t", Type: "stdout", NoForward: true}); err != nil {
		t.Fatal(err)
	}
	_, err = transport.ReadStreamStatus(st)
	st.Close()
	wantDenied(t, "forwarded logs on a plain session", err)

	st, err = plain.OpenStream(ctx, addr, transport.StreamForwardExec)
	if err != nil {
		t.Fatal(err)
	}
	_, err = transport.StartExec(ctx, st, &transport.ExecRequest{AllocID: "a1", Task: "t", Cmd: []string{"sh"}, NoForward: true})
	wantDenied(t, "forwarded exec on a plain session", err)

	// A client-only agent's own requests still pass (and fail on their
	// merits: there is no such allocation).
	st, err = plain.OpenStream(ctx, addr, transport.StreamForward)
	if err != nil {
		t.Fatal(err)
	}
	_ = transport.WriteLogsRequest(st, &transport.LogsRequest{AllocID: "a1", Task: "t", Type: "stdout"})
	_, err = transport.ReadStreamStatus(st)
	st.Close()
	if !structs.IsNotFound(err) {
		t.Fatalf("a client-only agent's logs request: %v, want not found", err)
	}
	var nodes structs.NodeListResponse
	if err := plain.RPC(ctx, addr, structs.NodeListRPC, &structs.NodeListRequest{}, &nodes); err != nil {
		t.Fatalf("a plain session's read: %v", err)
	}

	// A session that proved the token is a server's.
	proven := transport.NewPool(hclog.NewNullLogger())
	defer proven.Close()
	proven.Handshake = transport.NewHandshake("cluster-token", transport.ServerIdentity{ID: "peer", Addr: "peer:1"})
	err = proven.RPC(ctx, addr, "Node.ClientCall", &structs.ClientCallRequest{NodeID: "n1", Op: "alloc.signal", NoForward: true}, &reply)
	if err == nil || !strings.Contains(err.Error(), "not connected to this server") {
		t.Fatalf("forwarded client call on a proven session: %v", err)
	}
	failing := transport.NewPool(hclog.NewNullLogger())
	defer failing.Close()
	failing.Handshake = wrong
	if err := failing.RPC(ctx, addr, structs.NodeListRPC, &structs.NodeListRequest{}, &nodes); err == nil {
		t.Fatal("a session with a wrong token was opened")
	}
}

// A member whose proof failed is not dialed again before its retry time,
// and one whose proof failed slowly (a rogue that accepts and stalls) is
// left alone for longer, so it cannot hold the membership loop most of
// the time.
func TestJoinToken_FailedProofsBackOff(t *testing.T) {
	s := testServer(t, func(c *Config) { c.JoinToken = "cluster-token" })
	const hold = 2 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var dials atomic.Int32
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			dials.Add(1)
			go func() { time.Sleep(hold); conn.Close() }()
		}
	}()
	want := transport.ServerIdentity{ID: "stalling", Addr: ln.Addr().String()}
	if s.proveMember("stalling", want.ID, want.Addr) {
		t.Fatal("a stalling member passed its proof")
	}
	after := time.Now()
	if s.proveMember("stalling", want.ID, want.Addr) || dials.Load() != 1 {
		t.Fatalf("the member was dialed %d times, want once before its retry time", dials.Load())
	}
	s.memberProofs.mu.Lock()
	retryAt := s.memberProofs.failed[want]
	s.memberProofs.mu.Unlock()
	// The proof took at least hold, so the retry is at least 2*hold after
	// it ended: well past memberProofRetry.
	if wait := retryAt.Sub(after); wait <= memberProofRetry {
		t.Fatalf("a proof that stalled %v is retried after %v", hold, wait)
	}
}
