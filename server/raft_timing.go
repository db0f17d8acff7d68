package server

import (
	"time"

	"github.com/hashicorp/raft"
)

// Base Raft timing of servers that share a LAN. A follower starts an
// election after a random 1–2× HeartbeatTimeout without contact, so a dead
// leader is replaced in about 0.3–0.7 s; pre-vote (on by default) keeps a
// partitioned or slow server from disrupting a healthy leader. The leader
// steps down when it has not heard from a quorum within LeaderLeaseTimeout.
const (
	baseHeartbeatTimeout   = 300 * time.Millisecond
	baseElectionTimeout    = 300 * time.Millisecond
	baseLeaderLeaseTimeout = 250 * time.Millisecond
	baseCommitTimeout      = 10 * time.Millisecond

	// MaxRaftMultiplier bounds server.raft_multiplier: at 10 a dead
	// leader is replaced after 3–6 s, beyond that it is an outage.
	MaxRaftMultiplier = 10
)

// scaleRaftTiming sets the heartbeat, election and lease timeouts to the
// base timing times m (0 or 1: the base). A server whose process can be
// starved of CPU for longer than the base heartbeat timeout (a small
// machine shared with other work, thousands of clients on two cores)
// loses and re-elects its leader over and over, and every election costs
// more work than it saves (new leader duties, retried writes); a larger
// multiplier trades a slower failover for a leader that holds. The commit
// timeout is not scaled: it paces idle commits, not failure detection.
func scaleRaftTiming(c *raft.Config, m int) {
	if m < 1 {
		m = 1
	}
	k := time.Duration(m)
	c.HeartbeatTimeout = k * baseHeartbeatTimeout
	c.ElectionTimeout = k * baseElectionTimeout
	c.LeaderLeaseTimeout = k * baseLeaderLeaseTimeout
	c.CommitTimeout = baseCommitTimeout
}
