package scheduler

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// Harness is an in-memory State and Planner for tests and benchmarks of the
// schedulers (here and in other packages). SubmitPlan applies plans the way
// the plan applier does: it re-checks each node's fit, commits what fits,
// and asks for a refresh when something was left out. It records every
// plan, evaluation update and created evaluation.
type Harness struct {
	mu        sync.Mutex
	index     uint64
	nodes     map[string]*structs.Node
	nodeList  []*structs.Node // sorted by ID, like the state store's index
	jobs      map[string]*structs.Job
	versions  map[string]*structs.Job // jobKey + version
	allocs    map[string]*structs.Allocation
	allocsJob map[string]map[string]*structs.Allocation
	allocsNod map[string]map[string]*structs.Allocation

	// Plans, Results, Evals (from UpdateEval) and CreateEvals record the
	// scheduler's calls in order.
	Plans       []*structs.Plan
	Results     []*structs.PlanResult
	Evals       []*structs.Evaluation
	CreateEvals []*structs.Evaluation

	// RejectNode, when set, is asked for every node that receives
	// placements in a submitted plan; returning true drops them as if the
	// node had run out of capacity. It simulates optimistic-concurrency
	// conflicts. It runs under the harness lock: do not call the harness.
	RejectNode func(plan *structs.Plan, nodeID string) bool
}

// NewHarness returns an empty harness at index 1.
func NewHarness() *Harness {
	return &Harness{
		index: 1, nodes: map[string]*structs.Node{}, jobs: map[string]*structs.Job{},
		versions:  map[string]*structs.Job{},
		allocs:    map[string]*structs.Allocation{},
		allocsJob: map[string]map[string]*structs.Allocation{},
		allocsNod: map[string]map[string]*structs.Allocation{},
	}
}

func jobKey(ns, id string) string { return ns + "\x00" + id }

// UpsertNode stores copies of the nodes.
func (h *Harness) UpsertNode(nodes ...*structs.Node) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.index++
	for _, n := range nodes {
		c := n.Copy()
		c.ModifyIndex = h.index
		if old := h.nodes[c.ID]; old != nil {
			c.CreateIndex = old.CreateIndex
		} else {
			c.CreateIndex = h.index
		}
		h.nodes[c.ID] = c
	}
	h.sortNodes()
}

func (h *Harness) sortNodes() {
	h.nodeList = h.nodeList[:0]
	for _, n := range h.nodes {
		h.nodeList = append(h.nodeList, n)
	}
	slices.SortFunc(h.nodeList, func(a, b *structs.Node) int { return strings.Compare(a.ID, b.ID) })
}

// DeleteNode removes a node, as garbage collection of a dead node would.
func (h *Harness) DeleteNode(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.index++
	delete(h.nodes, id)
	h.sortNodes()
}

// UpsertJob stores a copy of the job. Its Version is kept as given, so
// tests choose versions explicitly.
func (h *Harness) UpsertJob(job *structs.Job) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.index++
	c := job.Copy()
	c.ModifyIndex, c.JobModifyIndex = h.index, h.index
	h.jobs[jobKey(c.Namespace, c.ID)] = c
	h.versions[versionKey(c.Namespace, c.ID, c.Version)] = c
}

func versionKey(ns, id string, version uint64) string {
	return fmt.Sprintf("%s\x00%d", jobKey(ns, id), version)
}

// JobByIDAndVersion implements State.
func (h *Harness) JobByIDAndVersion(ns, id string, version uint64) (*structs.Job, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.versions[versionKey(ns, id, version)], nil
}

// DeleteJob removes a job (deregistration with purge).
func (h *Harness) DeleteJob(ns, id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.index++
	delete(h.jobs, jobKey(ns, id))
}

// UpsertAllocs stores copies of the allocations.
func (h *Harness) UpsertAllocs(allocs ...*structs.Allocation) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.index++
	for _, a := range allocs {
		c := a.Copy()
		c.ModifyIndex = h.index
		if c.CreateIndex == 0 {
			c.CreateIndex = h.index
		}
		h.putAlloc(c)
	}
}

func (h *Harness) putAlloc(a *structs.Allocation) {
	h.allocs[a.ID] = a
	jk := jobKey(a.Namespace, a.JobID)
	if h.allocsJob[jk] == nil {
		h.allocsJob[jk] = map[string]*structs.Allocation{}
	}
	h.allocsJob[jk][a.ID] = a
	if h.allocsNod[a.NodeID] == nil {
		h.allocsNod[a.NodeID] = map[string]*structs.Allocation{}
	}
	h.allocsNod[a.NodeID][a.ID] = a
}

// Process runs the scheduler for the evaluation's type against the harness.
func (h *Harness) Process(eval *structs.Evaluation) error {
	s, err := NewScheduler(eval.Type, hclog.NewNullLogger(), h, h)
	if err != nil {
		return err
	}
	return s.Process(eval)
}

// Nodes implements State.
func (h *Harness) Nodes() ([]*structs.Node, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.nodeList), nil
}

// NodeByID implements State.
func (h *Harness) NodeByID(id string) (*structs.Node, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.nodes[id], nil
}

// JobByID implements State.
func (h *Harness) JobByID(ns, id string) (*structs.Job, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.jobs[jobKey(ns, id)], nil
}

// AllocsByJob implements State.
func (h *Harness) AllocsByJob(ns, jobID string) ([]*structs.Allocation, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return mapValues(h.allocsJob[jobKey(ns, jobID)]), nil
}

// AllocsByNode implements State.
func (h *Harness) AllocsByNode(nodeID string) ([]*structs.Allocation, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return mapValues(h.allocsNod[nodeID]), nil
}

// NodeUsage implements State by summing the node's allocations.
func (h *Harness) NodeUsage(nodeID string) (*structs.NodeUsage, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	u := &structs.NodeUsage{NodeID: nodeID}
	for _, a := range h.allocsNod[nodeID] {
		if !a.TerminalStatus() {
			u.Add(a, 1)
		}
	}
	return u, nil
}

// LatestIndex implements State.
func (h *Harness) LatestIndex() (uint64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.index, nil
}

// AllocByID returns a stored allocation or nil.
func (h *Harness) AllocByID(id string) *structs.Allocation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.allocs[id]
}

func mapValues(m map[string]*structs.Allocation) []*structs.Allocation {
	out := make([]*structs.Allocation, 0, len(m))
	for _, a := range m {
		out = append(out, a)
	}
	return out
}

// SubmitPlan implements Planner: stops always commit; a node's placements
// commit only if the node is ready and everything fits (or RejectNode
// does not object). The harness itself is the fresh State returned.
func (h *Harness) SubmitPlan(plan *structs.Plan) (*structs.PlanResult, State, error) {
	if plan == nil {
		return nil, nil, errors.New("nil plan")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Plans = append(h.Plans, plan)
	h.index++
	result := &structs.PlanResult{AllocIndex: h.index,
		NodeUpdate: map[string][]*structs.Allocation{}, NodeAllocation: map[string][]*structs.Allocation{}}
	for nodeID, stops := range plan.NodeUpdate {
		for _, st := range stops {
			if err := h.applyStop(st); err != nil {
				return nil, nil, err
			}
		}
		result.NodeUpdate[nodeID] = stops
	}
	for nodeID, placed := range plan.NodeAllocation {
		if !h.nodeAccepts(plan, nodeID, placed) {
			result.RefreshIndex = h.index
			continue
		}
		for _, a := range placed {
			a.CreateIndex, a.ModifyIndex, a.AllocModifyIndex = h.index, h.index, h.index
			h.putAlloc(a)
		}
		result.NodeAllocation[nodeID] = placed
	}
	h.Results = append(h.Results, result)
	if result.RefreshIndex != 0 {
		return result, h, nil
	}
	return result, nil, nil
}

func (h *Harness) applyStop(st *structs.Allocation) error {
	cur := h.allocs[st.ID]
	if cur == nil {
		return fmt.Errorf("plan stops unknown allocation %s", st.ID)
	}
	c := cur.Copy()
	c.DesiredStatus, c.DesiredDescription = st.DesiredStatus, st.DesiredDescription
	if st.PreemptedByAllocation != "" {
		c.PreemptedByAllocation = st.PreemptedByAllocation
	}
	if st.ClientStatus != "" {
		c.ClientStatus = st.ClientStatus
	}
	c.ModifyIndex, c.AllocModifyIndex = h.index, h.index
	h.putAlloc(c)
	return nil
}

// nodeAccepts re-checks a node the way the plan applier does.
func (h *Harness) nodeAccepts(plan *structs.Plan, nodeID string, placed []*structs.Allocation) bool {
	node := h.nodes[nodeID]
	if node == nil || !node.Ready() {
		return false
	}
	if h.RejectNode != nil && h.RejectNode(plan, nodeID) {
		return false
	}
	all := make([]*structs.Allocation, 0, len(h.allocsNod[nodeID])+len(placed))
	updated := make(map[string]bool, len(placed))
	for _, a := range placed {
		updated[a.ID] = true // in-place updates replace the stored copy
	}
	for _, a := range h.allocsNod[nodeID] {
		if !updated[a.ID] {
			all = append(all, a) // the plan's stops are applied already
		}
	}
	all = append(all, placed...)
	fit, _, _ := AllocsFit(node, all)
	return fit
}

// UpdateEval implements Planner.
func (h *Harness) UpdateEval(eval *structs.Evaluation) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Evals = append(h.Evals, eval.Copy())
	return nil
}

// CreateEval implements Planner.
func (h *Harness) CreateEval(eval *structs.Evaluation) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.CreateEvals = append(h.CreateEvals, eval.Copy())
	return nil
}

// EvalsByJob returns the evaluations the scheduler created for a job (the
// harness keeps no other evaluations), so that delayed ones are seen.
func (h *Harness) EvalsByJob(ns, jobID string) ([]*structs.Evaluation, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*structs.Evaluation
	for _, e := range h.CreateEvals {
		if e.Namespace == ns && e.JobID == jobID {
			out = append(out, e.Copy())
		}
	}
	return out, nil
}
