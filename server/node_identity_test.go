package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/transport"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/yamux"
)

// fakeAgent is a raw network client of a real server: a transport pool
// whose sessions announce a node with the given secret, and which answers
// the streams the server opens back with its own name, counting them.
type fakeAgent struct {
	name    string
	pool    *transport.Pool
	streams atomic.Int32
}

func newFakeAgent(t *testing.T, name, nodeID, secret string) *fakeAgent {
	t.Helper()
	a := &fakeAgent{name: name, pool: transport.NewPool(hclog.NewNullLogger())}
	t.Cleanup(a.pool.Close)
	a.pool.OnSession = func(_ string, s *yamux.Session) {
		st, err := s.OpenStream()
		if err != nil {
			return
		}
		defer st.Close()
		_, _ = st.Write([]byte{transport.StreamHello})
		_, _ = io.WriteString(st, nodeID+" "+secret+"\n")
		// The server closes the hello stream once it handled the line,
		// so the claim is settled before the first call returns.
		_, _ = io.Copy(io.Discard, st)
	}
	a.pool.Handler = func(kind byte, st net.Conn) {
		defer st.Close()
		a.streams.Add(1)
		switch kind {
		case transport.StreamClientCall:
			_ = transport.ServeClientCall(st, func(op string, body []byte) ([]byte, error) {
				return []byte(a.name), nil
			})
		case transport.StreamLogs:
			if _, err := transport.ReadLogsRequest(st); err == nil {
				_ = transport.WriteStreamStatus(st, nil)
				_, _ = io.WriteString(st, a.name+" logs")
			}
		case transport.StreamExec:
			if _, err := transport.ReadExecRequest(st); err == nil {
				_ = transport.WriteStreamStatus(st, nil)
				_, _ = io.WriteString(st, a.name+" exec")
			}
		}
	}
	return a
}

func (a *fakeAgent) rpc(t *testing.T, s *Server, method string, args, reply any) error {
	t.Helper()
	return a.pool.RPC(context.Background(), s.config.RPCAddr, method, args, reply)
}

// connect opens the agent's session (and so sends its hello).
func (a *fakeAgent) connect(t *testing.T, s *Server) {
	t.Helper()
	var reply structs.NodeListResponse
	if err := a.rpc(t, s, structs.NodeListRPC, &structs.NodeListRequest{}, &reply); err != nil {
		t.Fatalf("%s: connect: %v", a.name, err)
	}
}

func wantDenied(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil || !strings.HasPrefix(err.Error(), "Permission denied: ") {
		t.Fatalf("%s: got %v, want a \"Permission denied: \" error", what, err)
	}
}

// victimWithAlloc registers a node (with testSecret) and places one
// allocation on it.
func victimWithAlloc(t *testing.T, s *Server) (*structs.Node, *structs.Allocation) {
	t.Helper()
	victim := testNode("victim", 4000, 4096)
	registerNode(t, s, victim)
	registerJob(t, s, testJob("web", 1, 64))
	var alloc *structs.Allocation
	waitFor(t, "the allocation placed on the victim", func() bool {
		allocs, _ := s.State().AllocsByNode(nil, victim.ID)
		if len(allocs) == 1 {
			alloc = allocs[0]
		}
		return alloc != nil
	})
	return victim, alloc
}

// A connection that knows another node's ID cannot register, heartbeat,
// watch or report for that node, nor report on the node's allocations
// from a node of its own; the node's secret never shows in an answer.
func TestNodeIdentity_RogueCallsForAnotherNodeAreRefused(t *testing.T) {
	s := testServer(t, nil)
	victim, alloc := victimWithAlloc(t, s)
	rogue := newFakeAgent(t, "rogue", "", "")
	var up structs.NodeUpdateResponse

	impostor := victim.Copy()
	impostor.Name = "impostor"
	wantDenied(t, "register with a wrong secret", rogue.rpc(t, s, structs.NodeRegisterRPC,
		&structs.NodeRegisterRequest{Node: impostor, SecretID: "guessed"}, &up))
	err := rogue.rpc(t, s, structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: impostor}, &up)
	wantDenied(t, "register without a secret", err)
	wantDenied(t, "heartbeat with a wrong secret", rogue.rpc(t, s, structs.NodeHeartbeatRPC,
		&structs.NodeHeartbeatRequest{NodeID: victim.ID, SecretID: "guessed"}, &up))
	wantDenied(t, "heartbeat without a secret", rogue.rpc(t, s, structs.NodeHeartbeatRPC,
		&structs.NodeHeartbeatRequest{NodeID: victim.ID}, &up))
	var allocs structs.NodeClientAllocsResponse
	wantDenied(t, "watch another node's allocations", rogue.rpc(t, s, structs.NodeGetClientAllocs,
		&structs.NodeSpecificRequest{NodeID: victim.ID, SecretID: "guessed"}, &allocs))

	failed := []*structs.AllocStatusUpdate{{ID: alloc.ID, ClientStatus: structs.AllocClientFailed}}
	var gen structs.GenericResponse
	wantDenied(t, "update allocations as another node", rogue.rpc(t, s, structs.NodeUpdateAllocRPC,
		&structs.AllocUpdateRequest{NodeID: victim.ID, SecretID: "guessed", Allocs: failed}, &gen))
	// Its own node, properly registered, still may not touch the victim's
	// allocations.
	own := testNode("rogue-node", 1000, 1024)
	if err := rogue.rpc(t, s, structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: own, SecretID: "rogue-secret"}, &up); err != nil {
		t.Fatalf("the rogue's own registration: %v", err)
	}
	err = rogue.rpc(t, s, structs.NodeUpdateAllocRPC, &structs.AllocUpdateRequest{NodeID: own.ID, SecretID: "rogue-secret", Allocs: failed}, &gen)
	wantDenied(t, "update another node's allocation", err)
	if !strings.Contains(err.Error(), "is not on node "+own.ID) {
		t.Fatalf("refusal does not say why: %v", err)
	}

	stored, _ := s.State().AllocByID(nil, alloc.ID)
	if stored.ClientStatus == structs.AllocClientFailed {
		t.Fatal("a refused update changed the allocation")
	}
	node, _ := s.State().NodeByID(nil, victim.ID)
	if node.Name != "victim" || node.SecretHash != structs.HashSecret(testSecret(victim.ID)) {
		t.Fatalf("the victim node was changed: name %q", node.Name)
	}

	// The real node, with its secret, goes on as before.
	real := newFakeAgent(t, "real", victim.ID, testSecret(victim.ID))
	if err := real.rpc(t, s, structs.NodeHeartbeatRPC, &structs.NodeHeartbeatRequest{NodeID: victim.ID, SecretID: testSecret(victim.ID)}, &up); err != nil {
		t.Fatalf("the real node's heartbeat: %v", err)
	}
	running := []*structs.AllocStatusUpdate{{ID: alloc.ID, ClientStatus: structs.AllocClientRunning}}
	if err := real.rpc(t, s, structs.NodeUpdateAllocRPC, &structs.AllocUpdateRequest{NodeID: victim.ID, SecretID: testSecret(victim.ID), Allocs: running}, &gen); err != nil {
		t.Fatalf("the real node's update: %v", err)
	}

	// No answer carries the secret's hash.
	var single structs.SingleNodeResponse
	if err := rogue.rpc(t, s, structs.NodeGetNodeRPC, &structs.NodeSpecificRequest{NodeID: victim.ID}, &single); err != nil {
		t.Fatal(err)
	}
	if single.Node == nil || single.Node.SecretHash != "" {
		t.Fatalf("GetNode answered %+v, want the node without its secret hash", single.Node)
	}
	if err := s.RPC(structs.NodeGetNodeRPC, &structs.NodeSpecificRequest{NodeID: victim.ID}, &single); err != nil {
		t.Fatal(err)
	}
	var list structs.NodeListResponse
	if err := s.RPC(structs.NodeListRPC, &structs.NodeListRequest{}, &list); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal([]any{single, list})
	if bytes.Contains(out, []byte("secret")) || bytes.Contains(out, []byte(node.SecretHash)) {
		t.Fatalf("a node answer carries the secret: %s", out)
	}
}

// A session that announces an existing node with a wrong secret gets none
// of that node's streams, even when it announced itself after the real
// client; a claim made before the node registered is never honoured with
// another secret either.
func TestNodeIdentity_RogueHelloGetsNoStreams(t *testing.T) {
	s := testServer(t, nil)
	victim, alloc := victimWithAlloc(t, s)

	real := newFakeAgent(t, "real", victim.ID, testSecret(victim.ID))
	real.connect(t, s)
	rogue := newFakeAgent(t, "rogue", victim.ID, "guessed")
	rogue.connect(t, s)
	bare := newFakeAgent(t, "bare", victim.ID, "") // a hello with no secret
	bare.connect(t, s)

	var reply structs.ClientCallResponse
	if err := s.RPC("Node.ClientCall", &structs.ClientCallRequest{NodeID: victim.ID, Op: "alloc.signal"}, &reply); err != nil {
		t.Fatalf("client call: %v", err)
	}
	if string(reply.Body) != "real" {
		t.Fatalf("the client call reached %q, want the real client", reply.Body)
	}
	var logs bytes.Buffer
	if err := s.StreamClientLogs(context.Background(), &transport.LogsRequest{AllocID: alloc.ID, Task: "server", Type: "stdout"}, &logs); err != nil {
		t.Fatalf("logs: %v", err)
	}
	if logs.String() != "real logs" {
		t.Fatalf("logs came from %q", logs.String())
	}
	conn, err := s.OpenClientExec(context.Background(), &transport.ExecRequest{AllocID: alloc.ID, Task: "server", Cmd: []string{"sh"}})
	if err != nil {
		t.Fatalf("exec: %v", err)
	}
	out, _ := io.ReadAll(conn)
	conn.Close()
	if string(out) != "real exec" {
		t.Fatalf("exec reached %q", out)
	}

	// Without the real client, nothing is relayed to the impostors.
	real.pool.Close()
	waitFor(t, "the real client's session gone", func() bool { return s.nodeSession(victim.ID) == nil })
	err = s.RPC("Node.ClientCall", &structs.ClientCallRequest{NodeID: victim.ID, Op: "alloc.signal"}, &reply)
	if err == nil || !strings.Contains(err.Error(), "not connected") {
		t.Fatalf("client call without the real client: %v (answer %q)", err, reply.Body)
	}

	// A claim on a node ID that registers only later.
	later := testNode("later", 1000, 1024)
	early := newFakeAgent(t, "early", later.ID, "guessed")
	early.connect(t, s)
	registerNode(t, s, later)
	err = s.RPC("Node.ClientCall", &structs.ClientCallRequest{NodeID: later.ID, Op: "alloc.signal"}, &reply)
	if err == nil || !strings.Contains(err.Error(), "not connected") {
		t.Fatalf("client call to a node claimed before it registered: %v (answer %q)", err, reply.Body)
	}

	for _, a := range []*fakeAgent{rogue, bare, early} {
		if n := a.streams.Load(); n != 0 {
			t.Fatalf("%s received %d of the node's streams", a.name, n)
		}
	}
	if n := real.streams.Load(); n != 3 {
		t.Fatalf("the real client received %d streams, want 3", n)
	}
}

// A hello that is too long, or has no secret, records no claim, and the
// server closes the hello stream at once (the fake agent's connect waits
// for that before its first call) instead of reading on or waiting for
// its read deadline.
func TestNodeIdentity_MalformedHelloIsDropped(t *testing.T) {
	s := testServer(t, nil)
	for _, a := range []*fakeAgent{
		newFakeAgent(t, "long", strings.Repeat("n", 10*maxHelloLine), "secret"),
		newFakeAgent(t, "one field", "node-id", ""),
	} {
		done := make(chan error, 1)
		go func() {
			var reply structs.NodeListResponse
			done <- a.rpc(t, s, structs.NodeListRPC, &structs.NodeListRequest{}, &reply)
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: %v", a.name, err)
			}
		case <-time.After(5 * time.Second): // the hello's read deadline is 10s
			t.Fatalf("%s: the server kept the malformed hello open", a.name)
		}
	}
	s.clients.mu.Lock()
	defer s.clients.mu.Unlock()
	if n := len(s.clients.bySession); n != 0 {
		t.Fatalf("malformed hellos recorded %d claims", n)
	}
}
