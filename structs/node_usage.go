package structs

// NodeUsage sums what a node's non-terminal allocations use. The state
// store keeps it up to date with every allocation write, so the scheduler
// and the plan applier learn how full a node is without listing its
// allocations: with a million allocations that listing was their largest
// cost.
type NodeUsage struct {
	NodeID string `json:"node_id"`
	// Used is the sum of the non-terminal allocations' resources.
	Used Resources `json:"used"`
	// Live counts the non-terminal allocations.
	Live int `json:"live"`
	// WithPorts counts the non-terminal allocations that hold ports. Port
	// collisions can only be judged from the allocations themselves, so a
	// node with WithPorts > 0 is still read in full.
	WithPorts int `json:"with_ports"`
}

// Add counts a non-terminal allocation (sign 1) or removes it (sign -1).
// Only the dimensions the scheduler packs (CPU, memory, cores, disk) are summed, as in
// Resources.Add.
func (u *NodeUsage) Add(a *Allocation, sign int) {
	var r Resources
	a.AddResourcesTo(&r)
	if sign > 0 {
		u.Used.Add(&r)
	} else {
		u.Used.Subtract(&r)
	}
	u.Live += sign
	if len(a.AllocatedPorts) > 0 {
		u.WithPorts += sign
	}
}

// Empty reports whether nothing is counted.
func (u *NodeUsage) Empty() bool {
	return u.Live == 0 && u.WithPorts == 0 && u.Used == (Resources{})
}

// AddResourcesTo adds what the allocation uses to r: its total, or the sum
// of its tasks for records written without one.
func (a *Allocation) AddResourcesTo(r *Resources) {
	if a.Resources != nil {
		r.Add(a.Resources)
		return
	}
	for _, tr := range a.TaskResources {
		r.Add(tr)
	}
}
