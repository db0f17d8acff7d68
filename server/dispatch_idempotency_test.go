package server

import (
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

func dispatchWithToken(s *Server, id, token string, meta map[string]string) (*structs.JobDispatchResponse, error) {
	var reply structs.JobDispatchResponse
	err := s.RPC(structs.JobDispatchRPC, &structs.JobDispatchRequest{JobID: id, Meta: meta, IdempotencyToken: token}, &reply)
	return &reply, err
}

// A dispatch retried with its idempotency token after the leader that
// took it died returns the child the first try made: the token is stored
// with the child in the replicated state, not in one server's memory.
func TestDispatch_IdempotentAcrossLeaderChange(t *testing.T) {
	servers := testCluster(t, 3)
	leader, followers := leaderOf(servers)
	job := testJob("report", 1, 64)
	job.Type = structs.JobTypeBatch
	job.Parameterized = &structs.ParameterizedConfig{MetaOptional: []string{"user"}}
	registerJob(t, s0(followers), job)

	first, err := dispatchWithToken(leader, "report", "nightly-2026-12-07", map[string]string{"user": "ann"})
	if err != nil {
		t.Fatal(err)
	}
	if first.Existing {
		t.Fatal("a first dispatch is not existing")
	}
	failOver(t, leader, followers)
	again, err := dispatchWithToken(followers[1], "report", "nightly-2026-12-07", map[string]string{"user": "ann"})
	if err != nil {
		t.Fatal(err)
	}
	if again.DispatchedJobID != first.DispatchedJobID || !again.Existing {
		t.Fatalf("retry dispatched %q (existing=%v), want the first child %q", again.DispatchedJobID, again.Existing, first.DispatchedJobID)
	}
	nl, _ := leaderOf(followers)
	if nl == nil {
		t.Fatal("no leader")
	}
	if n := len(children(t, nl, "report")); n != 1 {
		t.Fatalf("%d children after a retried dispatch, want 1", n)
	}
	// The same token for another request is a caller's mistake.
	if _, err := dispatchWithToken(followers[0], "report", "nightly-2026-12-07", map[string]string{"user": "bob"}); err == nil ||
		!strings.Contains(err.Error(), "other meta or payload") {
		t.Fatalf("token reused with other meta: want a conflict, got %v", err)
	}
	if _, err := dispatchWithToken(followers[0], "report", strings.Repeat("x", 300), nil); !structs.IsValidation(err) {
		t.Fatalf("a 300-character token: want a validation error, got %v", err)
	}
	// Without a token every dispatch is a new child.
	for range 2 {
		if _, err := dispatchWithToken(followers[0], "report", "", nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(children(t, nl, "report")); n != 3 {
		t.Fatalf("%d children, want 3", n)
	}
}

// Two dispatches with one token that both passed the leader's check (a
// forwarded retry racing its first try) commit one child: the FSM drops
// the second whatever the order.
func TestDispatch_SameTokenCommitsOneChild(t *testing.T) {
	s := testServer(t, nil)
	job := testJob("p", 1, 64)
	job.Type = structs.JobTypeBatch
	job.Parameterized = &structs.ParameterizedConfig{}
	registerJob(t, s, job)
	parent := storedJob(t, s, "p")
	for i := range 2 {
		c := parent.DispatchChild(structs.DispatchChildID("p", time.Now().Unix(), structs.GenerateID()), nil, nil)
		c.DispatchIdempotencyToken = "once"
		c.SubmitTime = time.Now().UnixNano() + int64(i)
		if _, err := s.raftApply(structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: c}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(children(t, s, "p")); n != 1 {
		t.Fatalf("%d children with one idempotency token, want 1", n)
	}
}

func s0(s []*Server) *Server { return s[0] }
