package server

import (
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func TestScaleRaftTiming(t *testing.T) {
	for _, c := range []struct {
		m         int
		heartbeat time.Duration
		lease     time.Duration
	}{
		{0, 300 * time.Millisecond, 250 * time.Millisecond},
		{1, 300 * time.Millisecond, 250 * time.Millisecond},
		{5, 1500 * time.Millisecond, 1250 * time.Millisecond},
		{MaxRaftMultiplier, 3 * time.Second, 2500 * time.Millisecond},
	} {
		conf := raft.DefaultConfig()
		scaleRaftTiming(conf, c.m)
		if conf.HeartbeatTimeout != c.heartbeat || conf.ElectionTimeout != c.heartbeat || conf.LeaderLeaseTimeout != c.lease {
			t.Errorf("multiplier %d: heartbeat %v, election %v, lease %v; want %v, %v, %v",
				c.m, conf.HeartbeatTimeout, conf.ElectionTimeout, conf.LeaderLeaseTimeout, c.heartbeat, c.heartbeat, c.lease)
		}
		if conf.CommitTimeout != baseCommitTimeout {
			t.Errorf("multiplier %d: commit timeout %v scaled", c.m, conf.CommitTimeout)
		}
		// Raft refuses a lease longer than the heartbeat timeout.
		conf.LocalID = "x"
		if err := raft.ValidateConfig(conf); err != nil {
			t.Errorf("multiplier %d: %v", c.m, err)
		}
	}
}
