package scheduler

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// Desired descriptions of the system schedulers.
const descNodeIneligible = "alloc not needed: node no longer meets the job's constraints or datacenters"

// NewSystemScheduler runs one allocation of every group on every eligible
// node, including nodes that join later (node registration creates an
// evaluation for every system job).
func NewSystemScheduler(logger hclog.Logger, state State, planner Planner) Scheduler {
	s := newGenericScheduler(logger, state, planner, false)
	s.system = true
	return s
}

// NewSysBatchScheduler is the system scheduler for work that runs to
// completion: a node whose allocation completed is done.
func NewSysBatchScheduler(logger hclog.Logger, state State, planner Planner) Scheduler {
	s := newGenericScheduler(logger, state, planner, true)
	s.system = true
	return s
}

// systemState is what the system scheduler knows about a job's
// allocations, by group and node.
type systemState struct {
	live map[string]map[string]*structs.Allocation // group → node → allocation
	done map[string]map[string]bool                // sysbatch: group → node → finished
}

// attemptSystem plans a system or sysbatch job once.
func (s *genericScheduler) attemptSystem(job *structs.Job, allocs []*structs.Allocation, plan *structs.Plan) error {
	nodes, err := s.state.Nodes()
	if err != nil {
		return fmt.Errorf("read nodes: %w", err)
	}
	p := newPlacer(s.state, job, nodes, newStopSet(), seedFromID(s.eval.ID), s.batch)
	p.ns, p.evalID, p.now = s.eval.Namespace, s.eval.ID, time.Now().UnixNano()
	p.jobAllocs, p.priority = allocs, job.Priority
	// Visit nodes in ID order so that plans are reproducible.
	slices.SortFunc(p.entries, func(a, b nodeEntry) int { return strings.Compare(a.node.ID, b.node.ID) })
	p.byID = nil

	st := s.classifySystem(job, p, allocs, plan)
	versions, err := loadVersions(s.state, job, allocs)
	if err != nil {
		return err
	}
	rec := &reconciler{job: job, versions: versions, now: time.Now()}
	s.queued = make(map[string]int, len(job.Groups))
	for _, tg := range job.Groups {
		s.queued[tg.Name] = 0
		if err := s.systemGroup(p, rec, tg, st, plan); err != nil {
			return err
		}
	}
	s.preemptedJobs = appendPreemptions(plan, p.preempted)
	return nil
}

// classifySystem stops what must go (lost nodes, removed groups,
// duplicates, nodes outside the job's datacenters) and indexes the rest.
func (s *genericScheduler) classifySystem(job *structs.Job, p *placer, allocs []*structs.Allocation, plan *structs.Plan) *systemState {
	st := &systemState{live: map[string]map[string]*structs.Allocation{}, done: map[string]map[string]bool{}}
	taint := s.taintLookup()
	stop := func(a *structs.Allocation, desc, clientStatus string) {
		appendStop(plan, stopRequest{alloc: a, desc: desc, clientStatus: clientStatus})
		p.stopped.add(a)
		plan.Annotations.Group(a.TaskGroup).Stop++
	}
	allocs = slices.Clone(allocs)
	slices.SortFunc(allocs, func(a, b *structs.Allocation) int { return strings.Compare(a.ID, b.ID) })
	for _, a := range allocs {
		tg := job.LookupGroup(a.TaskGroup)
		if a.TerminalStatus() {
			finished := a.ClientStatus == structs.AllocClientComplete ||
				(a.ClientStatus == structs.AllocClientFailed && a.JobVersion == job.Version)
			if s.batch && tg != nil && a.DesiredStatus != structs.AllocDesiredStop && finished {
				setNested(st.done, a.TaskGroup, a.NodeID, true)
			}
			continue
		}
		switch desc := taint(a.NodeID); {
		case tg == nil:
			stop(a, descGroupRemoved, "")
		case desc == descNodeDown && s.systemKeepsUnknown(tg, a):
			// Left alone, unknown, until its disconnect window ends.
		case desc != "":
			stop(a, desc, structs.AllocClientLost)
		case st.live[a.TaskGroup][a.NodeID] != nil:
			stop(a, descDuplicate, "")
		default:
			setNested(st.live, a.TaskGroup, a.NodeID, a)
		}
	}
	return st
}

// systemKeepsUnknown reports whether an allocation on a down node is
// still within its group's disconnect window; a system job places no
// replacement (one per node), so it is only left alone, and a delayed
// evaluation loses it when the window ends.
func (s *genericScheduler) systemKeepsUnknown(tg *structs.TaskGroup, a *structs.Allocation) bool {
	window := tg.DisconnectWindow()
	if !tg.UnknownWhenDown() || a.DisconnectedAt == 0 {
		return false
	}
	if window <= 0 {
		return true // prevent_reschedule_on_lost: until the node returns
	}
	deadline := a.DisconnectedAt + int64(window)
	if time.Now().UnixNano() >= deadline {
		return false
	}
	s.rescheduleAt = earliest(s.rescheduleAt, deadline)
	return true
}

func setNested[V any](m map[string]map[string]V, k1, k2 string, v V) {
	inner := m[k1]
	if inner == nil {
		inner = map[string]V{}
		m[k1] = inner
	}
	inner[k2] = v
}

// systemGroup makes sure every eligible node runs the group once.
func (s *genericScheduler) systemGroup(p *placer, rec *reconciler, tg *structs.TaskGroup, st *systemState, plan *structs.Plan) error {
	gc := p.checker(tg)
	ann := plan.Annotations.Group(tg.Name)
	live := st.live[tg.Name]
	budget := systemRollingBudget(s.eval, rec.job, tg, live)
	if budget != 0 {
		// update.stagger spaces the batches, as in Nomad's system jobs.
		var wait reconcileResult
		if rec.staggerWait(tg, slices.Collect(maps.Values(live)), &wait) {
			budget = 0
			s.rescheduleAt = earliest(s.rescheduleAt, wait.rescheduleAt)
		}
	}
	seen := make(map[string]bool, len(p.entries))
	for i := range p.entries {
		e := &p.entries[i]
		seen[e.node.ID] = true
		a := live[e.node.ID]
		if p.infeasible(gc, e) != "" {
			if a != nil {
				appendStop(plan, stopRequest{alloc: a, desc: descNodeIneligible})
				ann.Stop++
			}
			continue
		}
		req := placeRequest{group: tg, index: 0}
		switch {
		case a == nil && st.done[tg.Name][e.node.ID]:
			continue
		case a == nil:
		case a.JobVersion == rec.job.Version:
			continue
		case rec.updateInPlace(a, tg):
			plan.AppendAlloc(inPlaceCopy(a, rec.job, s.eval.ID, p.now))
			ann.InPlaceUpdate++
			continue
		case budget == 0:
			ann.Deferred++
			continue
		default:
			budget--
			req.previous, req.stopPrevious = a, true
		}
		if err := s.placeOnNode(p, gc, e, req, plan); err != nil {
			return err
		}
	}
	s.stopOutsideCandidates(live, seen, plan, ann)
	return nil
}

// stopOutsideCandidates stops allocations on ready nodes that are no longer
// in the job's datacenters. Allocations on nodes that are merely not ready
// (initializing, ineligible, draining) are left alone.
func (s *genericScheduler) stopOutsideCandidates(live map[string]*structs.Allocation, seen map[string]bool,
	plan *structs.Plan, ann *structs.GroupPlanSummary) {
	for nodeID, a := range live {
		if seen[nodeID] {
			continue
		}
		node, err := s.state.NodeByID(nodeID)
		if err != nil || node == nil || !node.Ready() {
			continue
		}
		appendStop(plan, stopRequest{alloc: a, desc: descNodeIneligible})
		ann.Stop++
	}
}

// placeOnNode places one allocation on a given node, preempting
// lower-priority work if needed; a failure is recorded in the metrics.
func (s *genericScheduler) placeOnNode(p *placer, gc *groupChecker, e *nodeEntry, req placeRequest, plan *structs.Plan) error {
	if err := p.loadUsage(e); err != nil {
		return fmt.Errorf("read allocations of node %s: %w", e.node.ID, err)
	}
	if req.stopPrevious {
		p.release(req.previous)
	}
	need := req.group.Resources()
	metric := &structs.AllocMetric{NodesAvailable: p.available, NodesEvaluated: 1}
	var victims []*structs.Allocation
	dim := exhausted(&e.avail, &e.used, need)
	if dim == "" && !gc.ports.fits(e.ports) {
		dim = dimensionPorts
	}
	if dim != "" && p.priority > 0 {
		var err error
		if victims, _, err = p.victimsOn(gc, e, need); err != nil {
			return err
		}
		p.releaseVictims(e, victims)
	}
	if dim != "" && victims == nil {
		if req.stopPrevious {
			p.restore(req.previous)
		}
		metric.ExhaustedNode(dim)
		s.recordFailure(req.group.Name, metric)
		plan.Annotations.Group(req.group.Name).Unplaced++
		return nil
	}
	alloc, err := p.commit(req, gc, e, need, metric, victims)
	if err != nil {
		return err
	}
	if req.stopPrevious {
		appendStop(plan, stopRequest{alloc: req.previous, desc: descUpdated})
		plan.Annotations.Group(req.group.Name).Destructive++
	} else {
		plan.Annotations.Group(req.group.Name).Place++
	}
	plan.AppendAlloc(alloc)
	return nil
}

// earliest is the earlier of two unix-nanosecond times, 0 meaning none.
func earliest(a, b int64) int64 {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

// systemRollingBudget is rollingBudget for allocations indexed by node.
func systemRollingBudget(_ *structs.Evaluation, job *structs.Job, tg *structs.TaskGroup, live map[string]*structs.Allocation) int {
	u := structs.GroupUpdate(job, tg)
	if !u.Rolling() {
		return -1
	}
	inFlight := 0
	for _, a := range live {
		if a.JobVersion == job.Version && a.PreviousAllocation != "" && a.ClientStatus != structs.AllocClientRunning {
			inFlight++
		}
	}
	return max(u.MaxParallel-inFlight, 0)
}
