package scheduler

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// reasonDistinctHosts is the metric key for nodes ruled out by
// distinct_hosts.
const reasonDistinctHosts = "distinct_hosts"

// nodeEntry is one candidate node and what the plan has put on it so far.
type nodeEntry struct {
	node     *structs.Node
	class    uint64
	hasClass bool
	avail    structs.Resources // node.Available()
	used     structs.Resources // existing allocations - plan stops + plan placements
	loaded   bool              // used has been read from the state
	ports    portSet           // ports taken (loaded with used)
}

// placer picks nodes for the placements of one scheduling attempt. It keeps
// per-node usage incrementally, so each placement costs a bounded number
// of node visits instead of a pass over every allocation.
type placer struct {
	state   State
	job     *structs.Job
	ns      string // the evaluation's namespace, which the job lives in
	evalID  string
	now     int64
	cc      *constraintChecker
	entries []nodeEntry // ready nodes in the job's datacenters, shuffled
	byID    map[string]*nodeEntry
	cursor  int
	limit   int
	// available counts ready nodes per datacenter; every metric of this
	// attempt shares the map read-only.
	available map[string]int
	stopped   *stopSet // allocations the plan stops
	checkers  map[string]*groupChecker
	// failedAt remembers, per group, the release epoch at which a
	// placement found no node: until capacity is released again, later
	// placements of that group cannot succeed and are coalesced.
	failedAt     map[string]int
	releaseEpoch int
	distinct     bool
	jobOnNode    map[string]int
	groupOnNode  map[string]map[string]int
	// sameJob counts, per node, this job's live and planned allocations:
	// the job anti-affinity penalty spreads a job's copies over nodes
	// unless packing them wins clearly (nil: no penalty, e.g. system jobs).
	sameJob map[string]int
	// props and propDefs track distinct_property constraints.
	props    propertyCounts
	propDefs []distinctProp
	// jobAllocs are the job's allocations in the state (spread counts).
	jobAllocs []*structs.Allocation
	// Preemption: the placing job's priority (0 disables preemption),
	// job priorities by job key, and the victims chosen so far.
	priority   int
	priorities map[string]int
	preempted  []preemption
}

// newPlacer prepares the candidate nodes: ready, in one of the job's
// datacenters, in an order shuffled by seed so that results are
// reproducible for one evaluation but spread across evaluations.
func newPlacer(state State, job *structs.Job, nodes []*structs.Node, stopped *stopSet, seed uint64, batch bool) *placer {
	cc := newConstraintChecker()
	p := &placer{
		state: state, job: job, cc: cc, available: map[string]int{}, stopped: stopped,
		checkers: map[string]*groupChecker{}, failedAt: map[string]int{},
	}
	patterns := job.Datacenters
	if len(patterns) == 0 {
		patterns = []string{"*"}
	}
	dcs := &datacenterMatcher{patterns: patterns, cc: cc, memo: map[string]bool{}}
	cmp := func(a, b *structs.Node) int { return strings.Compare(a.ID, b.ID) }
	if !slices.IsSortedFunc(nodes, cmp) {
		nodes = slices.Clone(nodes)
		slices.SortFunc(nodes, cmp)
	}
	p.entries = make([]nodeEntry, 0, len(nodes))
	for _, n := range nodes {
		if !n.Ready() || !dcs.matches(n.Datacenter) {
			continue
		}
		p.entries = append(p.entries, nodeEntry{node: n, avail: *n.Available()})
		p.available[n.Datacenter]++
	}
	rng := rand.New(rand.NewPCG(seed, mix64(seed)))
	rng.Shuffle(len(p.entries), func(i, j int) { p.entries[i], p.entries[j] = p.entries[j], p.entries[i] })
	p.limit = candidateLimit(len(p.entries), batch)
	return p
}

// candidateLimit bounds how many feasible, fitting nodes are scored per
// placement: two for batch work (power of two choices), about log2(N) for
// services, which care more about a good fit.
func candidateLimit(n int, batch bool) int {
	if batch || n <= 4 {
		return 2
	}
	return max(2, int(math.Ceil(math.Log2(float64(n)))))
}

// trackDistinct seeds distinct_hosts bookkeeping with the job's
// allocations that stay. It is only done when a constraint asks for it.
func (p *placer) trackDistinct(allocs []*structs.Allocation) {
	p.distinct = true
	p.jobOnNode = map[string]int{}
	p.groupOnNode = map[string]map[string]int{}
	for _, a := range allocs {
		if !a.TerminalStatus() && !p.stopped.has(a.ID) {
			p.countOnNode(a.TaskGroup, a.NodeID, 1)
		}
	}
}

// trackSameJob seeds the job anti-affinity counts.
func (p *placer) trackSameJob(allocs []*structs.Allocation) {
	p.sameJob = map[string]int{}
	for _, a := range allocs {
		if !a.TerminalStatus() && !p.stopped.has(a.ID) {
			p.sameJob[a.NodeID]++
		}
	}
}

// antiAffinity is the score penalty for putting one more copy of the job
// on a node that already holds `on` of the group's `count` copies.
func antiAffinity(on, count int) float64 {
	if on <= 0 {
		return 0
	}
	return float64(on) / float64(max(count, 1))
}

func (p *placer) countOnNode(group, nodeID string, delta int) {
	if p.sameJob != nil {
		p.sameJob[nodeID] += delta
	}
	p.countProperties(group, nodeID, delta)
	if !p.distinct {
		return
	}
	p.jobOnNode[nodeID] += delta
	g := p.groupOnNode[group]
	if g == nil {
		g = map[string]int{}
		p.groupOnNode[group] = g
	}
	g[nodeID] += delta
}

func (p *placer) checker(tg *structs.TaskGroup) *groupChecker {
	gc := p.checkers[tg.Name]
	defer func() {
		if len(gc.distinctProps) > 0 {
			// Errors reading a node leave that allocation uncounted; the
			// plan applier's fit check still guards capacity.
			_ = p.trackProperties(p.jobAllocs, gc.distinctProps)
		}
	}()
	if gc == nil {
		gc = newGroupChecker(p.job, tg)
		p.checkers[tg.Name] = gc
		gc.scorer.init(p, tg.Name)
	}
	return gc
}

// place finds a node for one request and builds the allocation. A nil
// allocation means no node fits; the metric explains why (nil when the
// failure was coalesced with an earlier identical one).
func (p *placer) place(req placeRequest) (*structs.Allocation, *structs.AllocMetric, error) {
	tg := req.group
	if epoch, failed := p.failedAt[tg.Name]; failed && epoch == p.releaseEpoch && !req.stopPrevious {
		// per_alloc volumes: another index needs another volume, which
		// some node may have.
		if gc := p.checkers[tg.Name]; gc == nil || !gc.perAlloc() {
			return nil, nil, nil
		}
	}
	gc := p.checker(tg)
	if req.stopPrevious {
		p.release(req.previous)
	}
	gc.allocIndex = req.index
	need := tg.Resources()
	metric := &structs.AllocMetric{NodesAvailable: p.available}
	best, err := p.stickyNode(req, gc, need, metric)
	if err != nil {
		return nil, nil, err
	}
	if best == nil {
		best, err = p.selectNode(gc, need, metric)
		if err != nil {
			return nil, nil, err
		}
	}
	var victims []*structs.Allocation
	if best == nil && p.priority > 0 {
		if best, victims, err = p.preemptFor(gc, need); err != nil {
			return nil, nil, err
		}
	}
	if best == nil {
		if req.stopPrevious {
			p.restore(req.previous)
		}
		p.failedAt[tg.Name] = p.releaseEpoch
		return nil, metric, nil
	}
	alloc, err := p.commit(req, gc, best, need, metric, victims)
	return alloc, metric, err
}

// commit takes the chosen node's capacity and ports for the request and
// builds the allocation.
func (p *placer) commit(req placeRequest, gc *groupChecker, best *nodeEntry, need *structs.Resources,
	metric *structs.AllocMetric, victims []*structs.Allocation) (*structs.Allocation, error) {
	tg := req.group
	name := structs.AllocName(p.job.ID, tg.Name, req.index)
	ports, err := gc.ports.assign(&best.ports, entryHash('p', best.node.ID, name))
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", best.node.Name, err)
	}
	best.used.Add(need)
	p.countOnNode(tg.Name, best.node.ID, 1)
	gc.scorer.placed(best.node)
	alloc := p.newAlloc(req, best.node, need, metric)
	alloc.AllocatedPorts = ports
	p.recordVictims(alloc, victims)
	return alloc, nil
}

// selectNode walks the shuffled nodes from where the previous placement
// stopped and scores the first `limit` that are feasible and fit.
func (p *placer) selectNode(gc *groupChecker, need *structs.Resources, metric *structs.AllocMetric) (*nodeEntry, error) {
	count := 1
	if gc.group != nil {
		count = gc.group.Count
	}
	var best *nodeEntry
	bestScore := math.Inf(-1)
	found := 0
	n := len(p.entries)
	limit := gc.scorer.candidates(p.limit)
	for seen := 0; seen < n && found < limit; seen++ {
		e := &p.entries[p.cursor]
		if p.cursor++; p.cursor == n {
			p.cursor = 0
		}
		metric.NodesEvaluated++
		if reason := p.infeasible(gc, e); reason != "" {
			metric.FilterNode(reason)
			continue
		}
		if err := p.loadUsage(e); err != nil {
			return nil, err
		}
		if dim := exhausted(&e.avail, &e.used, need); dim != "" {
			metric.ExhaustedNode(dim)
			continue
		}
		if !gc.ports.fits(e.ports) {
			metric.ExhaustedNode(dimensionPorts)
			continue
		}
		found++
		score := gc.scorer.score(p.cc, e, binPackScore(&e.avail, &e.used, need))
		if p.sameJob != nil {
			score -= antiAffinity(p.sameJob[e.node.ID], count)
		}
		if score > bestScore {
			best, bestScore = e, score
		}
	}
	if best != nil {
		metric.Score = bestScore
	}
	return best, nil
}

// infeasible returns why the node cannot run the group, or "".
func (p *placer) infeasible(gc *groupChecker, e *nodeEntry) string {
	if !e.hasClass {
		e.class, e.hasClass = computedClass(e.node), true
	}
	if v := gc.classCheck(p.cc, e.node, e.class); !v.ok {
		return v.reason
	}
	if reason := gc.nodeCheck(p.cc, e.node); reason != "" {
		return reason
	}
	if gc.jobDistinct && p.jobOnNode[e.node.ID] > 0 {
		return reasonDistinctHosts
	}
	if gc.groupDistinct && p.groupOnNode[gc.group.Name][e.node.ID] > 0 {
		return reasonDistinctHosts
	}
	return p.propertyBlocked(gc, e.node)
}

// exhausted names the first dimension in which need does not fit, or "".
func exhausted(avail, used, need *structs.Resources) string {
	if used.CPU+need.CPU > avail.CPU {
		return dimensionCPU
	}
	if used.MemoryMB+need.MemoryMB > avail.MemoryMB {
		return dimensionMemory
	}
	if used.Cores+need.Cores > avail.Cores {
		return dimensionCores
	}
	if need.DiskMB > 0 && used.DiskMB+need.DiskMB > avail.DiskMB {
		return dimensionDisk
	}
	return ""
}

// loadUsage reads a node's current usage once, leaving out the
// allocations the plan stops; placements of this plan are added as they
// are made. The state's usage summary answers unless the node has
// allocations with ports (their numbers are needed) or ones the plan
// stops (the summary still counts them): then the node's allocations are
// read one by one.
func (p *placer) loadUsage(e *nodeEntry) error {
	if e.loaded {
		return nil
	}
	if !p.stopped.onNode(e.node.ID) {
		u, err := p.state.NodeUsage(e.node.ID)
		if err != nil {
			return err
		}
		if u.WithPorts == 0 {
			e.used, e.loaded = u.Used, true
			return nil
		}
	}
	allocs, err := p.state.AllocsByNode(e.node.ID)
	if err != nil {
		return err
	}
	for _, a := range allocs {
		if !a.TerminalStatus() && !p.stopped.has(a.ID) {
			addAllocResources(&e.used, a)
			e.ports = e.ports.addAlloc(a)
		}
	}
	e.loaded = true
	return nil
}

// release frees a running allocation's capacity ahead of its replacement
// (destructive update); restore undoes it when no replacement was found.
func (p *placer) release(a *structs.Allocation) {
	p.stopped.add(a)
	p.releaseEpoch++
	p.countOnNode(a.TaskGroup, a.NodeID, -1)
	if e := p.entry(a.NodeID); e != nil && e.loaded {
		var r structs.Resources
		addAllocResources(&r, a)
		e.used.Subtract(&r)
		e.ports.removeAlloc(a)
	}
	if e := p.entry(a.NodeID); e != nil && a.JobID == p.job.ID {
		if gc := p.checkers[a.TaskGroup]; gc != nil {
			gc.scorer.removed(e.node)
		}
	}
}

func (p *placer) restore(a *structs.Allocation) {
	p.stopped.remove(a)
	p.countOnNode(a.TaskGroup, a.NodeID, 1)
	if e := p.entry(a.NodeID); e != nil && e.loaded {
		addAllocResources(&e.used, a)
		e.ports = e.ports.addAlloc(a)
	}
	if e := p.entry(a.NodeID); e != nil && a.JobID == p.job.ID {
		if gc := p.checkers[a.TaskGroup]; gc != nil {
			gc.scorer.placed(e.node)
		}
	}
}

// entry finds a candidate by node ID; the index is built on first use
// because only destructive updates need it.
func (p *placer) entry(nodeID string) *nodeEntry {
	if p.byID == nil {
		p.byID = make(map[string]*nodeEntry, len(p.entries))
		for i := range p.entries {
			p.byID[p.entries[i].node.ID] = &p.entries[i]
		}
	}
	return p.byID[nodeID]
}

func (p *placer) newAlloc(req placeRequest, node *structs.Node, need *structs.Resources, metric *structs.AllocMetric) *structs.Allocation {
	tg := req.group
	perTask := make(map[string]*structs.Resources, len(tg.Tasks))
	for _, t := range tg.Tasks {
		r := structs.Resources{}
		if t.Resources != nil {
			r = *t.Resources
		}
		perTask[t.Name] = &r
	}
	a := &structs.Allocation{
		ID:               structs.GenerateID(),
		Namespace:        p.ns,
		EvalID:           p.evalID,
		Name:             structs.AllocName(p.job.ID, tg.Name, req.index),
		NodeID:           node.ID,
		NodeName:         node.Name,
		JobID:            p.job.ID,
		JobVersion:       p.job.Version,
		TaskGroup:        tg.Name,
		Resources:        need,
		TaskResources:    perTask,
		DesiredStatus:    structs.AllocDesiredRun,
		DrainReplacement: req.drain,
		ClientStatus:     structs.AllocClientPending,
		Metrics:          metric,
		CreateTime:       p.now,
		ModifyTime:       p.now,
		Canary:           req.canary,
	}
	if req.previous != nil {
		a.PreviousAllocation = req.previous.ID
	}
	return a
}
