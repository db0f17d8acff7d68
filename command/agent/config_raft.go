package agent

import (
	"fmt"

	"github.com/appmesh/appmesh/server"
)

// raftProblems validates server.raft_multiplier: 0 (unset) or 1 is the
// base timing, up to server.MaxRaftMultiplier.
func (c *ServerConfig) raftProblems() []string {
	if c.RaftMultiplier < 0 || c.RaftMultiplier > server.MaxRaftMultiplier {
		return []string{fmt.Sprintf("server raft_multiplier %d is out of range: use 1 (the default: a dead leader is replaced in about 0.3–0.7 s) to %d",
			c.RaftMultiplier, server.MaxRaftMultiplier)}
	}
	return nil
}
