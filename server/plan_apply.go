package server

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/appmesh/appmesh/server/scheduler"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// PlanQueue carries plans from workers to the single plan applier.
type PlanQueue struct {
	mu      sync.Mutex
	enabled bool
	ch      chan *pendingPlan
}

type pendingPlan struct {
	// ctx is the submitting worker's: once it ends (the worker gave up, or
	// the leadership term it belongs to ended), the plan must not be
	// applied, since its evaluation will be scheduled again.
	ctx    context.Context
	plan   *structs.Plan
	result chan planOutcome
}

type planOutcome struct {
	result *structs.PlanResult
	err    error
}

// NewPlanQueue returns a disabled queue.
func NewPlanQueue() *PlanQueue { return &PlanQueue{ch: make(chan *pendingPlan, 64)} }

// SetEnabled opens (leader) or closes the queue. Closing answers every plan
// still queued: a plan left behind would be applied by the next term's
// applier after its worker gave up and its evaluation was scheduled again,
// placing the same allocations twice.
func (q *PlanQueue) SetEnabled(on bool) {
	q.mu.Lock()
	q.enabled = on
	q.mu.Unlock()
	if on {
		return
	}
	for {
		select {
		case p := <-q.ch:
			p.result <- planOutcome{err: errPlanQueueDisabled}
		default:
			return
		}
	}
}

// Submit queues a plan and waits for its outcome.
func (q *PlanQueue) Submit(ctx context.Context, plan *structs.Plan) (*structs.PlanResult, error) {
	q.mu.Lock()
	on := q.enabled
	q.mu.Unlock()
	if !on {
		return nil, errPlanQueueDisabled
	}
	p := &pendingPlan{ctx: ctx, plan: plan, result: make(chan planOutcome, 1)}
	select {
	case q.ch <- p:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case out := <-p.result:
		return out.result, out.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// next returns the next plan whose worker still waits for it, answering
// the ones whose worker is gone (a plan can slip in while the queue closes).
func (q *PlanQueue) next(ctx context.Context) (*pendingPlan, bool) {
	for {
		select {
		case <-ctx.Done():
			return nil, false
		case p := <-q.ch:
			if p.waited() {
				return p, true
			}
		}
	}
}

// waited reports whether the plan's worker still waits for it, and
// answers the plan when it does not.
func (p *pendingPlan) waited() bool {
	if err := p.ctx.Err(); err != nil {
		p.result <- planOutcome{err: err}
		return false
	}
	return true
}

// evaluatePlan keeps the placements of each node that still has room; a
// rejected node makes the result ask for a refresh. Stops are kept, except
// on a rejected node: they (preemptions above all) made room for
// placements that are not happening, and the worker plans that node again.
//
// earlier holds what plans evaluated before this one in the same batch
// placed, not yet in snap (nil for none).
func evaluatePlan(snap *state.StateSnapshot, plan *structs.Plan, earlier planOverlay) (*structs.PlanResult, error) {
	result := &structs.PlanResult{
		NodeUpdate:     make(map[string][]*structs.Allocation, len(plan.NodeUpdate)),
		NodeAllocation: make(map[string][]*structs.Allocation, len(plan.NodeAllocation)),
	}
	for nodeID, stops := range plan.NodeUpdate {
		result.NodeUpdate[nodeID] = stops
	}
	for nodeID, placed := range plan.NodeAllocation {
		ok, err := nodeFits(snap, plan, nodeID, placed, earlier[nodeID])
		if err != nil {
			return nil, err
		}
		if !ok {
			latest, err := snap.LatestIndex()
			if err != nil {
				return nil, err
			}
			result.RefreshIndex = maxIndex(latest, 1)
			delete(result.NodeUpdate, nodeID)
			continue
		}
		result.NodeAllocation[nodeID] = placed
	}
	return result, nil
}

// nodeFits reports whether the node can take the plan's placements on top
// of what it runs, less the plan's stops. The state's usage summary gives
// what it runs; only a node where ports are in play is checked allocation
// by allocation, since a port collision needs the ports themselves.
//
// earlier are the node's placements by plans before this one in the same
// batch. They count in full, even where they update an allocation in place
// or a stop of theirs freed room: a batch may reject what would fit (its
// worker then plans again on fresh state), never accept what does not.
func nodeFits(snap *state.StateSnapshot, plan *structs.Plan, nodeID string, placed, earlier []*structs.Allocation) (bool, error) {
	node, err := snap.NodeByID(nil, nodeID)
	if err != nil {
		return false, fmt.Errorf("read node %s: %w", nodeID, err)
	}
	if node == nil || !node.Ready() {
		return false, nil
	}
	usage, err := snap.NodeUsage(nil, nodeID)
	if err != nil {
		return false, err
	}
	if usage.WithPorts > 0 || slices.ContainsFunc(placed, holdsPorts) || slices.ContainsFunc(earlier, holdsPorts) {
		return nodeFitsByAllocs(snap, plan, node, placed, earlier)
	}
	used := usage.Used
	// Stops, and the old copies of in-place updates, no longer count.
	replaced := make(map[string]bool, len(plan.NodeUpdate[nodeID])+len(placed))
	for _, a := range slices.Concat(plan.NodeUpdate[nodeID], placed) {
		if replaced[a.ID] {
			continue
		}
		replaced[a.ID] = true
		old, err := snap.AllocByID(nil, a.ID)
		if err != nil {
			return false, err
		}
		if old != nil && old.NodeID == nodeID && !old.TerminalStatus() {
			var r structs.Resources
			old.AddResourcesTo(&r)
			used.Subtract(&r)
		}
	}
	for _, a := range slices.Concat(earlier, placed) {
		if !a.TerminalStatus() {
			a.AddResourcesTo(&used)
		}
	}
	fit, _ := node.Available().Superset(&used)
	return fit, nil
}

func holdsPorts(a *structs.Allocation) bool { return len(a.AllocatedPorts) > 0 }

// nodeFitsByAllocs is nodeFits from the node's allocations themselves.
func nodeFitsByAllocs(snap *state.StateSnapshot, plan *structs.Plan, node *structs.Node, placed, earlier []*structs.Allocation) (bool, error) {
	nodeID := node.ID
	existing, err := snap.AllocsByNode(nil, nodeID)
	if err != nil {
		return false, fmt.Errorf("read allocations of node %s: %w", nodeID, err)
	}
	remove := make(map[string]bool, len(plan.NodeUpdate[nodeID])+len(placed))
	for _, a := range plan.NodeUpdate[nodeID] {
		remove[a.ID] = true
	}
	for _, a := range slices.Concat(earlier, placed) {
		remove[a.ID] = true // in-place updates replace the old copy
	}
	proposed := make([]*structs.Allocation, 0, len(existing)+len(earlier)+len(placed))
	for _, a := range existing {
		if !remove[a.ID] && !a.TerminalStatus() {
			proposed = append(proposed, a)
		}
	}
	proposed = append(proposed, earlier...)
	proposed = append(proposed, placed...)
	fit, _, _ := scheduler.AllocsFit(node, proposed)
	return fit, nil
}

// planOverlay is what plans evaluated earlier in a batch placed, by node:
// the later plans of the batch are checked with it counted.
type planOverlay map[string][]*structs.Allocation

func (o planOverlay) add(result *structs.PlanResult) {
	for nodeID, allocs := range result.NodeAllocation {
		o[nodeID] = append(o[nodeID], allocs...)
	}
}
