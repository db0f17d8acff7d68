package client

import (
	"time"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/client/allocrunner"
	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/metrics"
	"github.com/appmesh/appmesh/structs"
)

// Retry delays while the servers cannot be reached.
const (
	retryMin = 250 * time.Millisecond
	retryMax = 30 * time.Second
)

// heartbeatLoop registers the node, then heartbeats at about half the TTL
// the servers asked for. When the servers no longer know the node (their
// state was reset, or the node was garbage collected) it registers again.
func (c *Client) heartbeatLoop() {
	defer c.wg.Done()
	b := newBackoff(retryMin, retryMax)
	registered := false
	for {
		var ttl time.Duration
		var err error
		if registered {
			ttl, err = c.heartbeat()
			if err != nil && structs.IsNotFound(err) {
				c.logger.Info("servers do not know this node; registering again")
				registered = false
				continue
			}
		} else {
			ttl, err = c.register()
			if err == nil {
				registered = true
				c.registeredOnce.Do(func() { close(c.registered) })
			}
		}
		c.beat.record(err)
		if err == nil {
			c.lastContact.Store(time.Now().UnixNano())
		}
		if c.ctx.Err() != nil {
			return
		}
		if err != nil {
			d := b.next()
			if acl.IsPermissionDenied(err) {
				// The servers know this node with another secret: its
				// client/secret-id file was lost or replaced.
				c.logger.Error("the servers refused this node's secret; retrying", "error", err, "retry_in", d)
			} else {
				c.logger.Warn("cannot reach the servers; retrying", "registered", registered, "error", err, "retry_in", d)
			}
			if !ctxsleep.Sleep(c.ctx, d) {
				return
			}
			continue
		}
		b.reset()
		if !ctxsleep.Sleep(c.ctx, heartbeatInterval(ttl)) {
			return
		}
	}
}

// heartbeatInterval is half the TTL, ±10%, so that one lost heartbeat does
// not yet mark the node down and many nodes do not beat in lockstep.
func heartbeatInterval(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		ttl = structs.DefaultHeartbeatTTL
	}
	return jitter(ttl/2, 0.1)
}

func (c *Client) register() (time.Duration, error) {
	req := &structs.NodeRegisterRequest{Node: c.Node(), SecretID: c.secretID}
	var resp structs.NodeUpdateResponse
	if err := c.rpc(c.ctx, structs.NodeRegisterRPC, req, &resp); err != nil {
		return 0, err
	}
	c.logger.Info("node registered", "node_id", c.nodeID, "heartbeat_ttl", resp.HeartbeatTTL)
	return resp.HeartbeatTTL, nil
}

// heartbeat tells the servers the node is alive. Only answered heartbeats
// are timed: a failure's duration is the RPC layer's timeouts and retries,
// not the servers' latency, so it is counted on its own instead.
func (c *Client) heartbeat() (time.Duration, error) {
	start := time.Now()
	req := &structs.NodeHeartbeatRequest{NodeID: c.nodeID, Status: structs.NodeStatusReady, SecretID: c.secretID}
	var resp structs.NodeUpdateResponse
	if err := c.rpc(c.ctx, structs.NodeHeartbeatRPC, req, &resp); err != nil {
		if c.ctx.Err() == nil { // not the agent shutting down
			metrics.ClientHeartbeatFailures.Inc()
		}
		return 0, err
	}
	metrics.Since(metrics.ClientHeartbeat, start)
	if resp.Reconnected {
		c.reportAll()
	}
	return resp.HeartbeatTTL, nil
}

// reportAll queues the current status of every allocation: the servers
// marked this node down (it was paused or cut off longer than its TTL) and
// set its allocations unknown, and a status that did not change since is
// not sent again by itself.
func (c *Client) reportAll() {
	c.allocMu.Lock()
	runners := make([]*allocrunner.AllocRunner, 0, len(c.allocs))
	for _, ar := range c.allocs {
		runners = append(runners, ar)
	}
	c.allocMu.Unlock()
	c.logger.Info("the servers had marked this node down; reporting every allocation again", "allocs", len(runners))
	for _, ar := range runners {
		ar.Report()
	}
}
