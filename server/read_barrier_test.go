package server

import (
	"errors"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// isQuery decides which calls a leader serves only after a quorum check:
// every read (arguments with QueryOptions) and no write.
func TestIsQuery(t *testing.T) {
	for _, c := range []struct {
		args any
		want bool
	}{
		{&structs.JobSpecificRequest{}, true},
		{&structs.JobListRequest{}, true},
		{&structs.NodeSpecificRequest{}, true},
		{&structs.AllocsGetRequest{}, true},
		{&structs.JobRegisterRequest{}, false},
		{&structs.JobDeregisterRequest{}, false},
		{&structs.AllocUpdateRequest{}, false},
		{nil, false},
		{"x", false},
	} {
		if got := isQuery(c.args); got != c.want {
			t.Errorf("isQuery(%T) = %v, want %v", c.args, got, c.want)
		}
	}
}

// A leader serves a read without ?stale itself once it is ready, and a
// single-server cluster confirms its leadership at once.
func TestLeaderServesConsistentReadOnceReady(t *testing.T) {
	s := testServer(t, nil)
	local, err := s.serveAsLeader(&structs.JobListRequest{})
	if err != nil || !local {
		t.Fatalf("a ready single-server leader: local=%v err=%v, want local", local, err)
	}
	s.leaderReady.Store(false)
	defer s.leaderReady.Store(true)
	if _, err := s.serveAsLeader(&structs.JobListRequest{}); !errors.Is(err, structs.ErrNoLeader) {
		t.Fatalf("a leader whose barrier has not completed answered %v, want a no-leader error", err)
	}
}
