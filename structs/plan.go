package structs

// Plan is the scheduler's proposed change for one evaluation: allocations
// to stop and allocations to place, per node. The plan applier on the leader
// re-checks each node's fit and commits what fits.
type Plan struct {
	EvalID   string `json:"eval_id"`
	Priority int    `json:"priority"`
	JobID    string `json:"job_id"`
	// Namespace and JobVersion are informative; allocations carry their own.
	Namespace  string `json:"namespace"`
	JobVersion uint64 `json:"job_version"`
	// NodeUpdate: allocations to stop or evict, by node ID. Only ID,
	// DesiredStatus, DesiredDescription and ClientStatus are meaningful.
	NodeUpdate map[string][]*Allocation `json:"node_update,omitempty"`
	// NodeAllocation: new or updated allocations, by node ID.
	NodeAllocation map[string][]*Allocation `json:"node_allocation,omitempty"`
	// SnapshotIndex is the state index the scheduler worked from.
	SnapshotIndex uint64 `json:"snapshot_index"`
	// Annotations summarise the plan per group (for `job plan`).
	Annotations *PlanAnnotations `json:"annotations,omitempty"`
}

// AppendStop adds an allocation stop to the plan.
func (p *Plan) AppendStop(alloc *Allocation, desc string) {
	c := &Allocation{
		ID: alloc.ID, Namespace: alloc.Namespace, JobID: alloc.JobID, NodeID: alloc.NodeID,
		DesiredStatus: AllocDesiredStop, DesiredDescription: desc,
		ClientStatus: alloc.ClientStatus,
	}
	if p.NodeUpdate == nil {
		p.NodeUpdate = map[string][]*Allocation{}
	}
	p.NodeUpdate[alloc.NodeID] = append(p.NodeUpdate[alloc.NodeID], c)
}

// AppendAlloc adds a placement to the plan.
func (p *Plan) AppendAlloc(alloc *Allocation) {
	if p.NodeAllocation == nil {
		p.NodeAllocation = map[string][]*Allocation{}
	}
	p.NodeAllocation[alloc.NodeID] = append(p.NodeAllocation[alloc.NodeID], alloc)
}

// IsNoOp reports whether the plan changes nothing.
func (p *Plan) IsNoOp() bool {
	return len(p.NodeUpdate) == 0 && len(p.NodeAllocation) == 0
}

// PlanResult is what the plan applier committed.
type PlanResult struct {
	NodeUpdate     map[string][]*Allocation `json:"node_update,omitempty"`
	NodeAllocation map[string][]*Allocation `json:"node_allocation,omitempty"`
	// RefreshIndex is set when part of the plan was rejected: the scheduler
	// must refresh its state to at least this index and plan again.
	RefreshIndex uint64 `json:"refresh_index"`
	// AllocIndex is the Raft index at which the result was committed.
	AllocIndex uint64 `json:"alloc_index"`
}

// FullCommit reports whether every part of the plan was committed, and the
// expected and actual number of placements+stops.
func (r *PlanResult) FullCommit(p *Plan) (bool, int, int) {
	expected, actual := 0, 0
	for node, allocs := range p.NodeAllocation {
		expected += len(allocs)
		actual += len(r.NodeAllocation[node])
	}
	for node, allocs := range p.NodeUpdate {
		expected += len(allocs)
		actual += len(r.NodeUpdate[node])
	}
	return expected == actual, expected, actual
}
