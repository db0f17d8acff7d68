package server

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appmesh/appmesh/internal/testutil"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// testServer starts a single in-memory server and waits for leadership.
func testServer(t *testing.T, mut func(*Config)) *Server {
	t.Helper()
	cfg := &Config{
		NodeName: "test-server",
		DevMode:  true,
		RPCAddr:  freeAddr(t),
		Logger:   testLogger(t),
	}
	if mut != nil {
		mut(cfg)
	}
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	t.Cleanup(func() { _ = s.Shutdown() })
	waitLeader(t, s)
	return s
}

func waitLeader(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "leader duties started", func() bool {
		s.leaderMu.Lock()
		defer s.leaderMu.Unlock()
		return s.leaderCancel != nil
	})
}

// testWriter sends logs to the test, and drops them once the test ended:
// background goroutines of a shut-down server (gossip) may still log, and
// t.Log after the end panics.
type testWriter struct {
	t    *testing.T
	done *atomic.Bool
}

func newTestWriter(t *testing.T) testWriter {
	w := testWriter{t: t, done: &atomic.Bool{}}
	t.Cleanup(func() { w.done.Store(true) })
	return w
}

func (w testWriter) Write(p []byte) (int, error) {
	if !w.done.Load() {
		w.t.Log(string(p))
	}
	return len(p), nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline. It asserts an outcome, never a duration.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.WaitFor(t, what, cond)
}

func testNode(name string, cpu, memMB int) *structs.Node {
	return &structs.Node{
		ID: structs.GenerateID(), Name: name, Datacenter: "dc1",
		Attributes: map[string]string{"kernel.name": "linux", "unique.hostname": name},
		Resources:  &structs.NodeResources{CPU: cpu, Cores: 2, MemoryMB: memMB},
		Drivers:    map[string]*structs.DriverInfo{"exec": {Detected: true, Healthy: true}},
	}
}

func testJob(id string, count, memMB int) *structs.Job {
	return &structs.Job{
		ID: id, Type: structs.JobTypeService,
		Groups: []*structs.TaskGroup{{
			Name: "web", Count: count,
			Tasks: []*structs.Task{{
				Name: "server", Driver: "exec",
				Config:    map[string]any{"command": "/bin/sleep", "args": []any{"60"}},
				Resources: &structs.Resources{CPU: 100, MemoryMB: memMB},
			}},
		}},
	}
}

// testSecret is the node secret the test helpers register a node with.
func testSecret(nodeID string) string { return "secret-of-" + nodeID }

func registerNode(t *testing.T, s *Server, n *structs.Node) {
	t.Helper()
	var reply structs.NodeUpdateResponse
	if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: n, SecretID: testSecret(n.ID)}, &reply); err != nil {
		t.Fatalf("register node %s: %v", n.Name, err)
	}
}

func registerJob(t *testing.T, s *Server, job *structs.Job) *structs.JobRegisterResponse {
	t.Helper()
	var reply structs.JobRegisterResponse
	if err := s.RPC(structs.JobRegisterRPC, &structs.JobRegisterRequest{Job: job}, &reply); err != nil {
		t.Fatalf("register job %s: %v", job.ID, err)
	}
	return &reply
}

func jobAllocs(t *testing.T, s *Server, jobID string) []*structs.AllocListStub {
	t.Helper()
	var reply structs.JobAllocationsResponse
	if err := s.RPC(structs.JobAllocationsRPC, &structs.JobSpecificRequest{JobID: jobID}, &reply); err != nil {
		t.Fatalf("allocations of %s: %v", jobID, err)
	}
	return reply.Allocations
}

// liveAllocs counts allocations the servers want running.
func liveAllocs(allocs []*structs.AllocListStub) (n int) {
	for _, a := range allocs {
		if a.DesiredStatus == structs.AllocDesiredRun && a.ClientStatus != structs.AllocClientLost {
			n++
		}
	}
	return n
}

func getEval(t *testing.T, s *Server, id string) *structs.Evaluation {
	t.Helper()
	var reply structs.SingleEvalResponse
	if err := s.RPC(structs.EvalGetEvalRPC, &structs.EvalSpecificRequest{EvalID: id}, &reply); err != nil {
		t.Fatalf("get eval %s: %v", id, err)
	}
	return reply.Eval
}

func describe(allocs []*structs.AllocListStub) string {
	out := ""
	for _, a := range allocs {
		out += fmt.Sprintf("%s node=%s desired=%s client=%s; ", a.Name, a.NodeName, a.DesiredStatus, a.ClientStatus)
	}
	return out
}

func testLogger(t *testing.T) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: t.Name(), Level: hclog.Warn, Output: newTestWriter(t)})
}
