package server

import (
	"context"
	"time"

	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// maxDrainWait bounds the drain deadline loop's sleep, so that clock
// jumps are noticed.
const maxDrainWait = time.Minute

// runDrainDeadlines is the leader's duty for drain deadlines: when a
// draining node's force deadline passes, its jobs are evaluated again so
// that the batch work still there is stopped. The deadlines are read from
// the nodes' drain state on every pass, so a new leader picks up the
// drains its predecessor started (a deadline that passed during the
// failover is acted on at once).
func (s *Server) runDrainDeadlines(ctx context.Context) {
	// done remembers the deadlines this leader acted on, by node.
	done := map[string]int64{}
	for {
		ws := memdb.NewWatchSet()
		wait := s.drainDeadlinePass(ws, done, time.Now())
		wctx, cancel := context.WithTimeout(ctx, wait)
		_ = ws.WatchCtx(wctx)
		cancel()
		if !ctxsleep.Sleep(ctx, minPassGap) {
			return
		}
	}
}

// drainDeadlinePass evaluates the jobs of every node whose deadline
// passed and was not yet acted on, and returns how long to sleep at most.
func (s *Server) drainDeadlinePass(ws memdb.WatchSet, done map[string]int64, now time.Time) time.Duration {
	wake := now.Add(maxDrainWait)
	nodes, err := s.State().Nodes(ws)
	if err != nil {
		s.logger.Error("list nodes for drain deadlines", "error", err)
		return time.Second
	}
	draining := make(map[string]bool)
	for _, n := range nodes {
		if !n.IsDraining() || n.DrainStrategy.Deadline <= 0 {
			continue
		}
		draining[n.ID] = true
		deadline := n.DrainStrategy.ForceDeadline
		if done[n.ID] == deadline {
			continue
		}
		if at := time.Unix(0, deadline); at.After(now) {
			wake = minTime(wake, at)
			continue
		}
		if err := s.evaluateAtDrainDeadline(n.ID); err != nil {
			s.logger.Warn("evaluate jobs at drain deadline", "node_id", n.ID, "error", err)
			wake = minTime(wake, now.Add(time.Second))
			continue
		}
		done[n.ID] = deadline
	}
	for id := range done {
		if !draining[id] {
			delete(done, id)
		}
	}
	return max(wake.Sub(time.Now()), time.Millisecond)
}

// evaluateAtDrainDeadline writes one evaluation per job with live work on
// the node.
func (s *Server) evaluateAtDrainDeadline(nodeID string) error {
	evals, err := s.nodeEvals(nodeID, structs.EvalTriggerNodeDrain)
	if err != nil || len(evals) == 0 {
		return err
	}
	_, err = s.raftApply(structs.EvalUpdateRequestType, &structs.EvalUpdateEntry{Evals: evals})
	return err
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
