package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/server"
	"github.com/appmesh/appmesh/structs"
)

// failoverResult is what -kill-leader measured.
type failoverResult struct {
	killed      string
	election    time.Duration // leader killed → a new leader serves
	watched     time.Duration
	nodes       int // nodes in the new leader's state
	downBefore  int // nodes down in the old leader's state before the kill
	markedDown  int // distinct nodes seen down after the kill
	stillDown   int // nodes down at the end of the watch
	heartbeatsN int64
}

// failover kills the leader (a full server shutdown: its Raft, RPC port
// and heartbeat timers go away as in a crash) and watches the new leader's
// state for the given time, counting every node seen down. All simulated
// nodes stay alive, so every node seen down is a false positive. The
// watch should outlast the longest TTL the servers hand out (100 s at
// 5,000 nodes), so that every node heartbeats the new leader at least once.
func failover(ctx context.Context, c *cluster, s *sim, watch time.Duration) (*failoverResult, error) {
	old := c.leader()
	if old == nil {
		return nil, fmt.Errorf("kill leader: no leader")
	}
	res := &failoverResult{killed: c.name(old), watched: watch, downBefore: downNodes(old, nil)}
	beats := s.heartbeats.Load()
	logf("killing leader %s", res.killed)
	t0 := time.Now()
	// The shutdown runs on its own: the survivors' election is what is
	// measured, and a slow close of the old leader's connections must not
	// hold the watch back.
	go func() {
		if err := old.Shutdown(); err != nil {
			logf("kill leader %s: %v", res.killed, err)
		}
	}()
	var nl *server.Server
	for nl == nil {
		if !ctxsleep.Sleep(ctx, 50*time.Millisecond) {
			return nil, ctx.Err()
		}
		if time.Since(t0) > 5*time.Minute {
			return nil, fmt.Errorf("no new leader within 5 minutes of killing %s", res.killed)
		}
		nl = c.leaderExcept(old)
	}
	res.election = time.Since(t0)
	logf("new leader %s after %v; watching node status for %v", c.name(nl), res.election.Round(time.Millisecond), watch)
	seen := map[string]bool{}
	end := time.Now().Add(watch)
	progress := time.Now()
	for time.Now().Before(end) {
		if l := c.leaderExcept(old); l != nil {
			nl = l
		}
		downNodes(nl, seen)
		if time.Since(progress) >= 10*time.Second {
			progress = time.Now()
			logf("%5.0fs after the kill: %d node(s) seen down", time.Since(t0).Seconds(), len(seen))
		}
		if !ctxsleep.Sleep(ctx, 500*time.Millisecond) {
			return nil, ctx.Err()
		}
	}
	res.markedDown = len(seen)
	res.stillDown = downNodes(nl, nil)
	if nodes, err := nl.State().Nodes(nil); err == nil {
		res.nodes = len(nodes)
	}
	res.heartbeatsN = s.heartbeats.Load() - beats
	return res, nil
}

// downNodes counts the nodes down in s's state, adding their IDs to seen
// (when not nil).
func downNodes(s *server.Server, seen map[string]bool) int {
	nodes, err := s.State().Nodes(nil)
	if err != nil {
		return 0
	}
	n := 0
	for _, nd := range nodes {
		if nd.Status == structs.NodeStatusDown {
			n++
			if seen != nil {
				seen[nd.ID] = true
			}
		}
	}
	return n
}

func (r *failoverResult) print(w io.Writer) {
	fmt.Fprintf(w, "failover (-kill-leader):\n")
	fmt.Fprintf(w, "  killed leader:         %s; new leader serving after %v\n", r.killed, r.election.Round(time.Millisecond))
	fmt.Fprintf(w, "  nodes marked down:     %d of %d live nodes within %v of the kill (%d still down at the end; %d down before)\n",
		r.markedDown, r.nodes, r.watched, r.stillDown, r.downBefore)
	fmt.Fprintf(w, "  heartbeats meanwhile:  %d\n", r.heartbeatsN)
}

// name is the server's name in the report ("sim-server-N").
func (c *cluster) name(s *server.Server) string {
	for i, x := range c.servers {
		if x == s {
			return fmt.Sprintf("sim-server-%d", i+1)
		}
	}
	return "unknown"
}

// leaderExcept returns the server other than old that leads (nil: none).
func (c *cluster) leaderExcept(old *server.Server) *server.Server {
	for _, s := range c.servers {
		if s != old && s.IsLeader() {
			return s
		}
	}
	return nil
}
