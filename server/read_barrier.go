package server

import (
	"fmt"
	"reflect"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// A read without ?stale promises the state as of the moment it was
// served: every write acknowledged before it started is in the answer.
// Being the Raft leader is not enough for that:
//   - a new leader's FSM may not yet have applied entries of the previous
//     term that were already committed and acknowledged (establishLeadership
//     sets leaderReady once a barrier has flushed them), and
//   - a leader cut off from the others (paused, partitioned) still says it
//     is the leader until its lease runs out, while a new leader elsewhere
//     acknowledges writes; VerifyLeader asks a quorum before the read.
// The fault-schedule test (e2e/cluster/faults_test.go) caught the first as
// a client that never stopped an allocation it fetched from a new leader.

// leaderReadTimeout bounds the wait for the barrier and the quorum check.
const leaderReadTimeout = 5 * time.Second

// serveAsLeader decides where a call without ?stale goes: served here
// (local), refused (err: this server leads but cannot answer consistently),
// or neither: forward it to the leader. A call is served here when this
// server is the leader and its FSM has caught up with the log of its
// term; a read (arguments with QueryOptions) also needs a quorum to still
// follow it. A write needs no such check: Raft refuses it on a deposed
// leader.
func (s *Server) serveAsLeader(args any) (local bool, err error) {
	if !s.IsLeader() {
		return false, nil
	}
	deadline := time.Now().Add(leaderReadTimeout)
	for !s.leaderReady.Load() {
		if !s.IsLeader() {
			return false, nil
		}
		if time.Now().After(deadline) || s.shutdownCtx.Err() != nil {
			return false, errLeaderNotReady
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !isQuery(args) {
		return true, nil
	}
	if err := s.raft.VerifyLeader().Error(); err != nil {
		s.logger.Debug("not serving a read as the leader: quorum check failed", "error", err)
		if s.IsLeader() {
			return false, fmt.Errorf("%w: this server could not confirm its leadership: %v", structs.ErrNoLeader, err)
		}
		return false, nil
	}
	return true, nil
}

var queryOptionsType = reflect.TypeOf(structs.QueryOptions{})

// isQuery says whether args are a read's: a struct embedding QueryOptions.
func isQuery(args any) bool {
	t := reflect.TypeOf(args)
	if t == nil {
		return false
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return false
	}
	f, ok := t.FieldByName("QueryOptions")
	return ok && f.Anonymous && f.Type == queryOptionsType
}

// errLeaderNotReady answers a read that found this server leading but not
// yet able to answer consistently, with no other leader to ask.
var errLeaderNotReady = fmt.Errorf("%w: the leader is still catching up; retry", structs.ErrNoLeader)
