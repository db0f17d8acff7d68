package scheduler

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// preemptionDelta is how much higher a job's priority must be than another
// job's for its placements to evict that job's allocations.
const preemptionDelta = 10

// maxPreemptionCandidates bounds how many feasible nodes are examined when
// looking for allocations to evict.
const maxPreemptionCandidates = 64

// preemption is one evicted allocation and the allocation that evicted it.
type preemption struct {
	victim *structs.Allocation
	by     string
}

// descPreempted is the desired description of an evicted allocation.
func descPreempted(by string) string {
	return fmt.Sprintf("alloc preempted by allocation %s of a higher-priority job", by)
}

// preemptFor looks for a node where evicting lower-priority allocations
// makes room for need. It prefers the node with the fewest evictions, then
// the lowest evicted priorities. The chosen victims are released on the
// node entry at once.
func (p *placer) preemptFor(gc *groupChecker, need *structs.Resources) (*nodeEntry, []*structs.Allocation, error) {
	var best *nodeEntry
	var bestVictims []*structs.Allocation
	bestCost := math.MaxInt
	examined := 0
	for i := range p.entries {
		e := &p.entries[i]
		if p.infeasible(gc, e) != "" {
			continue
		}
		if examined++; examined > maxPreemptionCandidates {
			break
		}
		if err := p.loadUsage(e); err != nil {
			return nil, nil, err
		}
		victims, cost, err := p.victimsOn(gc, e, need)
		if err != nil {
			return nil, nil, err
		}
		if victims != nil && cost < bestCost {
			best, bestVictims, bestCost = e, victims, cost
		}
	}
	if best == nil {
		return nil, nil, nil
	}
	p.releaseVictims(best, bestVictims)
	return best, bestVictims, nil
}

// releaseVictims frees the capacity and ports of evicted allocations.
func (p *placer) releaseVictims(e *nodeEntry, victims []*structs.Allocation) {
	for _, v := range victims {
		p.stopped.add(v)
		var r structs.Resources
		addAllocResources(&r, v)
		e.used.Subtract(&r)
		e.ports.removeAlloc(v)
	}
	if len(victims) > 0 {
		p.releaseEpoch++
	}
}

// victimsOn picks lower-priority allocations on the node, lowest priority
// and largest first, until need fits. nil means it cannot be done.
func (p *placer) victimsOn(gc *groupChecker, e *nodeEntry, need *structs.Resources) ([]*structs.Allocation, int, error) {
	allocs, err := p.state.AllocsByNode(e.node.ID)
	if err != nil {
		return nil, 0, fmt.Errorf("read allocations of node %s: %w", e.node.ID, err)
	}
	type cand struct {
		a        *structs.Allocation
		priority int
	}
	var cands []cand
	for _, a := range allocs {
		if a.TerminalStatus() || p.stopped.has(a.ID) {
			continue
		}
		prio, err := p.jobPriority(a)
		if err != nil {
			return nil, 0, err
		}
		if prio+preemptionDelta <= p.priority {
			cands = append(cands, cand{a, prio})
		}
	}
	if len(cands) == 0 {
		return nil, 0, nil
	}
	slices.SortFunc(cands, func(x, y cand) int {
		if x.priority != y.priority {
			return x.priority - y.priority
		}
		if d := allocSize(y.a) - allocSize(x.a); d != 0 {
			return d
		}
		return strings.Compare(x.a.ID, y.a.ID)
	})
	used := e.used
	ports := portSet{}
	for port := range e.ports {
		ports[port] = struct{}{}
	}
	var victims []*structs.Allocation
	cost := 0
	for _, c := range cands {
		if exhausted(&e.avail, &used, need) == "" && gc.ports.fits(ports) {
			break
		}
		var r structs.Resources
		addAllocResources(&r, c.a)
		used.Subtract(&r)
		ports.removeAlloc(c.a)
		victims = append(victims, c.a)
		cost += 1000 + c.priority
	}
	if exhausted(&e.avail, &used, need) != "" || !gc.ports.fits(ports) {
		return nil, 0, nil
	}
	return victims, cost, nil
}

func allocSize(a *structs.Allocation) int {
	var r structs.Resources
	addAllocResources(&r, a)
	return r.CPU + r.MemoryMB
}

// jobPriority returns the priority of an allocation's job; allocations of
// purged jobs have priority 0 and can always be evicted.
func (p *placer) jobPriority(a *structs.Allocation) (int, error) {
	key := jobKey(a.Namespace, a.JobID)
	if prio, ok := p.priorities[key]; ok {
		return prio, nil
	}
	job, err := p.state.JobByID(a.Namespace, a.JobID)
	if err != nil {
		return 0, fmt.Errorf("read job %q: %w", a.JobID, err)
	}
	prio := 0
	if job != nil && !job.Stop {
		prio = job.Priority
	}
	if p.priorities == nil {
		p.priorities = map[string]int{}
	}
	p.priorities[key] = prio
	return prio, nil
}

// recordVictims links a new allocation with the allocations it evicts.
func (p *placer) recordVictims(alloc *structs.Allocation, victims []*structs.Allocation) {
	for _, v := range victims {
		alloc.PreemptedAllocations = append(alloc.PreemptedAllocations, v.ID)
		p.preempted = append(p.preempted, preemption{victim: v, by: alloc.ID})
	}
}

// appendPreemptions adds the evictions to the plan and returns the jobs
// that lost allocations, which need an evaluation to place them again.
func appendPreemptions(plan *structs.Plan, preempted []preemption) map[string]*structs.Allocation {
	if len(preempted) == 0 {
		return nil
	}
	jobs := map[string]*structs.Allocation{}
	for _, pr := range preempted {
		plan.AppendStop(pr.victim, descPreempted(pr.by))
		stops := plan.NodeUpdate[pr.victim.NodeID]
		stops[len(stops)-1].PreemptedByAllocation = pr.by
		jobs[jobKey(pr.victim.Namespace, pr.victim.JobID)] = pr.victim
	}
	return jobs
}
