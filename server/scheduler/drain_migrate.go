package scheduler

import (
	"time"

	"github.com/appmesh/appmesh/structs"
)

// drainBudget is how many of a group's allocations on draining nodes may
// be moved now under the group's migrate block: max_parallel less the
// moves still in flight. -1 means no limit: batch work, or a group
// without a migrate block (everything moves at once, as before migrate
// blocks were read).
func (r *reconciler) drainBudget(tg *structs.TaskGroup, allocs []*structs.Allocation) int {
	if r.batch || tg.Migrate == nil {
		return -1
	}
	return max(tg.Migrate.Parallel()-drainsInFlight(tg, allocs), 0)
}

// drainsInFlight counts the indexes whose allocation was moved off a
// draining node and whose replacement is not settled yet: not placed
// (no room), or placed and not yet judged healthy or unhealthy. A
// replacement judged unhealthy (its healthy_deadline passed, or it
// failed) no longer holds the drain back: the drain's deadline bounds it.
func drainsInFlight(tg *structs.TaskGroup, allocs []*structs.Allocation) int {
	settled := map[int]bool{}
	for _, a := range allocs {
		if a.TerminalStatus() {
			continue
		}
		// A live allocation settles its index unless it is a drain's
		// replacement still waiting for its health.
		if !a.DrainReplacement || a.Healthy != nil {
			settled[a.Index()] = true
		}
	}
	pending := map[int]bool{}
	for _, a := range allocs {
		idx := a.Index()
		if idx >= tg.Count || settled[idx] {
			continue
		}
		waiting := a.DrainReplacement && !a.TerminalStatus() && a.Healthy == nil
		moved := a.DesiredStatus == structs.AllocDesiredStop && a.DesiredDescription == descNodeDraining
		if waiting || moved {
			pending[idx] = true
		}
	}
	return len(pending)
}

// mayMigrate reports whether a live allocation on a draining node is
// moved now, taking one from the group's budget; one that must wait keeps
// its place (and runs on) until an earlier replacement is healthy, or the
// drain's deadline passes.
func (r *reconciler) mayMigrate(a *structs.Allocation, s *groupSlots, res *reconcileResult) bool {
	if s.drainBudget < 0 || (r.drainForced != nil && r.drainForced(a.NodeID)) {
		return true
	}
	if s.drainBudget > 0 {
		s.drainBudget--
		return true
	}
	res.drainWaiting++
	return false
}

// drainForcedLookup reports nodes whose drain deadline has passed: their
// work moves at once, whatever the migrate blocks say.
func (s *genericScheduler) drainForcedLookup() func(nodeID string) bool {
	now := time.Now().UnixNano()
	return func(nodeID string) bool {
		node, err := s.state.NodeByID(nodeID)
		if err != nil || node == nil || !node.IsDraining() {
			return false
		}
		d := node.DrainStrategy
		return d.Deadline > 0 && now >= d.ForceDeadline
	}
}
