package client

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/appmesh/appmesh/internal/testutil"
	"github.com/appmesh/appmesh/structs"
)

// testServer is an in-memory stand-in for the servers' RPC endpoints the
// client uses. GetClientAllocs blocks on a condition variable like the real
// blocking query.
type testServer struct {
	ttl time.Duration

	mu         sync.Mutex
	cond       *sync.Cond
	index      uint64
	nodes      map[string]*structs.Node
	allocs     map[string]*structs.Allocation
	jobs       map[string]*structs.Job // "<id>@<version>"
	registers  int
	heartbeats int
	updates    int
	closed     bool
	// behind, when set for an allocation, is answered once by
	// Alloc.GetAllocs instead of the current version: a server that has
	// not yet applied what another one listed.
	behind map[string]*structs.Allocation
	// unreachable makes registrations and heartbeats fail, as servers
	// the client cannot reach.
	unreachable bool
}

func newTestServer(t *testing.T) *testServer {
	s := newBareTestServer()
	t.Cleanup(s.close)
	return s
}

// newBareTestServer is a test server outside of a test (the test agent
// subprocess); the caller closes it.
func newBareTestServer() *testServer {
	s := &testServer{
		ttl:    200 * time.Millisecond,
		index:  1,
		nodes:  map[string]*structs.Node{},
		allocs: map[string]*structs.Allocation{},
		jobs:   map[string]*structs.Job{},
	}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// close wakes every blocked query, like a server shutting down.
func (s *testServer) close() {
	s.mu.Lock()
	s.closed = true
	s.cond.Broadcast()
	s.mu.Unlock()
}

// bump advances the index and wakes blocked queries; s.mu must be held.
func (s *testServer) bump() uint64 {
	s.index++
	s.cond.Broadcast()
	return s.index
}

func (s *testServer) RPC(method string, args any, reply any) error {
	switch method {
	case structs.NodeRegisterRPC:
		return s.register(args.(*structs.NodeRegisterRequest), reply.(*structs.NodeUpdateResponse))
	case structs.NodeHeartbeatRPC:
		return s.heartbeat(args.(*structs.NodeHeartbeatRequest), reply.(*structs.NodeUpdateResponse))
	case structs.NodeGetClientAllocs:
		return s.clientAllocs(args.(*structs.NodeSpecificRequest), reply.(*structs.NodeClientAllocsResponse))
	case structs.AllocGetAllocRPC:
		return s.getAlloc(args.(*structs.AllocSpecificRequest), reply.(*structs.SingleAllocResponse))
	case structs.AllocGetAllocsRPC:
		return s.getAllocs(args.(*structs.AllocsGetRequest), reply.(*structs.AllocsGetResponse))
	case structs.JobGetVersionRPC:
		return s.getJobVersion(args.(*structs.JobSpecificRequest), reply.(*structs.SingleJobResponse))
	case structs.NodeUpdateAllocRPC:
		return s.updateAllocs(args.(*structs.AllocUpdateRequest))
	}
	return fmt.Errorf("test server: unknown method %q", method)
}

func (s *testServer) register(req *structs.NodeRegisterRequest, resp *structs.NodeUpdateResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodes[req.Node.ID] = req.Node.Copy()
	s.registers++
	resp.HeartbeatTTL = s.ttl
	resp.Index = s.bump()
	return nil
}

func (s *testServer) heartbeat(req *structs.NodeHeartbeatRequest, resp *structs.NodeUpdateResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unreachable {
		return errors.New("dial: connection refused")
	}
	if s.nodes[req.NodeID] == nil {
		return fmt.Errorf("node %q: %w", req.NodeID, structs.ErrNotFound)
	}
	s.heartbeats++
	resp.HeartbeatTTL = s.ttl
	return nil
}

func (s *testServer) clientAllocs(req *structs.NodeSpecificRequest, resp *structs.NodeClientAllocsResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.MinQueryIndex > 0 {
		timer := time.AfterFunc(req.MaxQueryTime, func() {
			s.mu.Lock()
			s.cond.Broadcast()
			s.mu.Unlock()
		})
		defer timer.Stop()
		deadline := time.Now().Add(req.MaxQueryTime)
		for s.index <= req.MinQueryIndex && !s.closed && time.Now().Before(deadline) {
			s.cond.Wait()
		}
	}
	resp.Allocs, resp.Full = map[string]uint64{}, true // always the whole list
	for id, a := range s.allocs {
		if a.NodeID == req.NodeID {
			resp.Allocs[id] = a.AllocModifyIndex
		}
	}
	resp.Index = s.index
	return nil
}

func (s *testServer) getAlloc(req *structs.AllocSpecificRequest, resp *structs.SingleAllocResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.allocs[req.AllocID]
	if a == nil {
		return fmt.Errorf("allocation %q: %w", req.AllocID, structs.ErrNotFound)
	}
	resp.Alloc = a.Copy()
	resp.Index = s.index
	return nil
}

func (s *testServer) getAllocs(req *structs.AllocsGetRequest, resp *structs.AllocsGetResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range req.AllocIDs {
		if old := s.behind[id]; old != nil {
			delete(s.behind, id)
			resp.Allocs = append(resp.Allocs, old.Copy())
			continue
		}
		if a := s.allocs[id]; a != nil {
			resp.Allocs = append(resp.Allocs, a.Copy())
		}
	}
	resp.Index = s.index
	return nil
}

func (s *testServer) getJobVersion(req *structs.JobSpecificRequest, resp *structs.SingleJobResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[fmt.Sprintf("%s@%d", req.JobID, req.Version)]
	if j == nil {
		return fmt.Errorf("job %q version %d: %w", req.JobID, req.Version, structs.ErrNotFound)
	}
	resp.Job = j.Copy()
	resp.Index = s.index
	return nil
}

// updateAllocs stores client state; like the real servers it moves the
// index but not AllocModifyIndex, which only server-side changes move.
func (s *testServer) updateAllocs(req *structs.AllocUpdateRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.updates++
	for _, u := range req.Allocs {
		a := s.allocs[u.ID]
		if a == nil {
			continue
		}
		a.ClientStatus, a.ClientDescription, a.TaskStates = u.ClientStatus, u.ClientDescription, u.TaskStates
		a.Healthy = u.Healthy
		a.ModifyIndex = s.bump()
	}
	return nil
}

// --- test helpers ---

func (s *testServer) addJob(j *structs.Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs[fmt.Sprintf("%s@%d", j.ID, j.Version)] = j.Copy()
}

// upsertAlloc adds or changes an allocation as the servers would.
func (s *testServer) upsertAlloc(a *structs.Allocation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a = a.Copy()
	a.AllocModifyIndex = s.bump()
	a.ModifyIndex = a.AllocModifyIndex
	s.allocs[a.ID] = a
}

func (s *testServer) setDesired(id, desired string) {
	s.mu.Lock()
	a := s.allocs[id].Copy()
	s.mu.Unlock()
	a.DesiredStatus = desired
	s.upsertAlloc(a)
}

func (s *testServer) deleteAlloc(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.allocs, id)
	s.bump()
}

func (s *testServer) alloc(id string) *structs.Allocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.allocs[id].Copy()
}

func (s *testServer) forgetNode(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.nodes, id)
}

func (s *testServer) counts() (registers, heartbeats int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.registers, s.heartbeats
}

// waitFor polls cond; tests may poll, the client may not.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.WaitFor(t, what, cond)
}
