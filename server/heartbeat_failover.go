package server

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// DefaultFailoverHeartbeatTTL is how long a new leader waits for the first
// heartbeat of each node before it may mark the node down. The TTL a node
// was last given grows with the cluster (ttlFor: 100 s at 5,000 nodes), it
// heartbeats at about half of it, and it may first try the server that
// just died: the old leader's timers are lost, so the new one must wait at
// least as long as any node may rightly stay silent.
const DefaultFailoverHeartbeatTTL = 5 * time.Minute

// initialize gives every live node a timer after a leadership change. The
// wait is the failover TTL, and never less than the TTL (plus grace) a
// node may have been given by the old leader for a cluster of this size,
// so that no node that heartbeated on time is marked down. The first
// heartbeat to this leader puts the node back on its normal TTL.
func (h *heartbeater) initialize() error {
	nodes, err := h.srv.State().Nodes(nil)
	if err != nil {
		return fmt.Errorf("list nodes for heartbeats: %w", err)
	}
	// Down nodes count too: the old leader counted the timers it had,
	// which may have included nodes that went down since.
	wait := max(h.srv.config.FailoverHeartbeatTTL, h.ttlFor(len(nodes))+h.srv.config.HeartbeatGrace)
	for _, n := range nodes {
		if n.Status != structs.NodeStatusDown {
			h.resetWithTTL(n.ID, wait)
		}
	}
	h.srv.logger.Info("heartbeat timers rebuilt after leadership change", "nodes", len(nodes), "first_heartbeat_within", wait)
	return nil
}
