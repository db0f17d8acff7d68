package server

import (
	"context"
	"fmt"
	"github.com/appmesh/appmesh/metrics"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// maxPlanBatch bounds how many queued plans one Raft entry commits.
const maxPlanBatch = 16

// planApplier is the leader's single goroutine that re-checks each plan
// against the latest state and commits what still fits. Being the only
// writer of placements, it makes the scheduler's optimism safe.
//
// Plans that queued up while the previous commit was in flight are taken
// together: each is checked against the state plus what the ones before it
// placed, and all are committed in one Raft entry, so one disk write
// serves several workers.
func (s *Server) planApplier(ctx context.Context) {
	for {
		first, ok := s.planQueue.next(ctx)
		if !ok {
			return
		}
		batch := append([]*pendingPlan{first}, s.planQueue.ready(maxPlanBatch-1)...)
		s.applyPlans(batch)
	}
}

// ready takes up to n more queued plans without waiting, answering those
// whose worker is gone.
func (q *PlanQueue) ready(n int) []*pendingPlan {
	var out []*pendingPlan
	for len(out) < n {
		select {
		case p := <-q.ch:
			if p.waited() {
				out = append(out, p)
			}
		default:
			return out
		}
	}
	return out
}

// applyPlans evaluates the plans in order on one snapshot, each with the
// placements accepted before it in the batch counted, commits all accepted
// parts in one Raft entry and answers every worker. The snapshot itself is
// not written: a write to it would close watch channels it shares with
// the live store and wake blocking queries for nothing.
func (s *Server) applyPlans(batch []*pendingPlan) {
	defer metrics.Since(metrics.PlanApply, time.Now())
	snap, err := s.State().Snapshot()
	if err != nil {
		for _, p := range batch {
			p.result <- planOutcome{err: fmt.Errorf("snapshot for plan of eval %s: %w", p.plan.EvalID, err)}
		}
		return
	}
	now := time.Now().UnixNano()
	results := make([]*structs.PlanResult, len(batch))
	errs := make([]error, len(batch))
	earlier := planOverlay{}
	var entries []*structs.ApplyPlanResultsEntry
	var committed []int // batch positions whose entry is in entries
	for i, p := range batch {
		results[i], errs[i] = evaluatePlan(snap, p.plan, earlier)
		if errs[i] != nil {
			continue
		}
		entry := planEntry(p.plan, results[i], now)
		if entry == nil {
			continue // nothing to write
		}
		earlier.add(results[i])
		entries = append(entries, entry)
		committed = append(committed, i)
	}
	if len(entries) > 0 {
		index, err := s.commitPlans(entries)
		for _, i := range committed {
			if err != nil {
				errs[i] = fmt.Errorf("commit plan of eval %s: %w", batch[i].plan.EvalID, err)
				continue
			}
			results[i].AllocIndex = index
		}
		if err == nil {
			// A plan refused for room may have been refused because of an
			// earlier plan of this batch: its worker must plan again on a
			// state that has the batch.
			for i, r := range results {
				if errs[i] == nil && r.RefreshIndex != 0 {
					r.RefreshIndex = index
				}
			}
		}
	}
	for i, p := range batch {
		if errs[i] != nil {
			p.result <- planOutcome{err: errs[i]}
			continue
		}
		p.result <- planOutcome{result: results[i]}
	}
}

// commitPlans writes the plans' results through Raft: a lone plan as the
// single-plan entry, several as one batch entry.
func (s *Server) commitPlans(entries []*structs.ApplyPlanResultsEntry) (uint64, error) {
	if len(entries) == 1 {
		return s.raftApply(structs.ApplyPlanResultsRequestType, entries[0])
	}
	return s.raftApply(structs.ApplyPlanBatchRequestType, &structs.ApplyPlanBatchEntry{Plans: entries})
}

// planEntry is what a plan's result writes, or nil when it writes nothing.
func planEntry(plan *structs.Plan, result *structs.PlanResult, now int64) *structs.ApplyPlanResultsEntry {
	entry := &structs.ApplyPlanResultsEntry{EvalID: plan.EvalID, Time: now}
	for _, allocs := range result.NodeUpdate {
		entry.AllocsStopped = append(entry.AllocsStopped, allocs...)
	}
	for _, allocs := range result.NodeAllocation {
		entry.AllocsPlaced = append(entry.AllocsPlaced, allocs...)
	}
	if len(entry.AllocsStopped)+len(entry.AllocsPlaced) == 0 {
		return nil
	}
	return entry
}
