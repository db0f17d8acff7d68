package server

import (
	"fmt"
	"time"
)

// Bounds of the wait between two tries of establishLeadership.
const (
	establishRetryMin = 250 * time.Millisecond
	establishRetryMax = 30 * time.Second
	// establishTransferAfter is how many failed tries a leader makes before
	// it hands leadership to another voter (when there is one).
	establishTransferAfter = 3
)

// establishUntilDone runs establishLeadership until it succeeds, this
// server stops leading, or it shuts down. A leader whose duties failed to
// start must not stay leader without workers, heartbeat timers or a plan
// applier: it tries again with back-off, and after a few failures hands
// leadership to another voter. A lone server (or one whose transfer
// fails) keeps trying, since it is the only one that can lead.
func (s *Server) establishUntilDone() {
	backoff := establishRetryMin
	for attempt := 1; ; attempt++ {
		err := s.establishLeadership()
		if err == nil {
			if attempt > 1 {
				s.logger.Info("leader duties started after retries", "attempts", attempt)
			}
			return
		}
		s.revokeLeadership()
		if s.shutdownCtx.Err() != nil || !s.IsLeader() {
			return
		}
		s.logger.Error("establish leadership failed", "attempt", attempt, "retry_in", backoff, "error", err)
		if attempt >= establishTransferAfter {
			terr := s.raft.LeadershipTransfer().Error()
			if terr == nil {
				s.logger.Warn("leadership handed to another server after failing to establish it")
				return
			}
			s.logger.Warn("leadership transfer failed; retrying here", "error", terr)
		}
		select {
		case <-s.shutdownCtx.Done():
			return
		case isLeader := <-s.raftNotifyCh:
			if !isLeader {
				return // nothing runs: revokeLeadership above stopped it all
			}
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, establishRetryMax)
	}
}

// reestablishLeadership restarts the leader duties after the state was
// replaced (snapshot restore). A failure is retried by monitorLeadership,
// and reported to the caller.
func (s *Server) reestablishLeadership() error {
	err := s.establishLeadership()
	if err == nil {
		return nil
	}
	s.revokeLeadership()
	select {
	case s.leaderRetry <- struct{}{}:
	default: // a retry is already asked for
	}
	return fmt.Errorf("snapshot restored, but the leader duties failed to restart (retrying): %w", err)
}

// establishFault is the test hook of Config.failEstablish.
func (s *Server) establishFault() error {
	if s.config.failEstablish == nil {
		return nil
	}
	return s.config.failEstablish()
}
