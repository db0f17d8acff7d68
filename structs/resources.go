package structs

// Resources are what a task asks for: CPU in MHz, memory and disk in MB.
// MemoryMB is the hard limit unless MemoryMaxMB is set; then MemoryMB is the
// reservation the scheduler counts (and the driver's soft limit) and
// MemoryMaxMB the hard limit. MemoryMaxMB = -1 (MemoryMaxUnlimited, as in
// Nomad) sets no hard limit at all: MemoryMB is only the reservation.
// Cores reserves whole cores for the task.
type Resources struct {
	CPU         int `json:"cpu"`
	MemoryMB    int `json:"memory"`
	MemoryMaxMB int `json:"memory_max,omitempty"`
	Cores       int `json:"cores,omitempty"`
	// DiskMB is scheduled against the node's free disk (fingerprinted in
	// the data directory); a group adds its ephemeral_disk size.
	DiskMB int `json:"disk,omitempty"`
}

// MemoryMaxUnlimited as memory_max lifts the task's hard memory limit.
const MemoryMaxUnlimited = -1

// Validate checks the resources.
func (r *Resources) Validate() error {
	v := &ValidationError{}
	if r.CPU < 0 {
		v.Add("", "cpu must not be negative (got %d)", r.CPU)
	}
	if r.MemoryMB < 0 {
		v.Add("", "memory must not be negative (got %d)", r.MemoryMB)
	}
	if r.MemoryMaxMB < MemoryMaxUnlimited {
		v.Add("", "memory_max must not be negative (got %d); -1 means no hard limit", r.MemoryMaxMB)
	} else if r.MemoryMaxMB > 0 && r.MemoryMaxMB < r.MemoryMB {
		v.Add("", "memory_max (%d) must be at least memory (%d)", r.MemoryMaxMB, r.MemoryMB)
	}
	if r.Cores < 0 {
		v.Add("", "cores must not be negative (got %d)", r.Cores)
	}
	if r.DiskMB < 0 {
		v.Add("", "disk must not be negative (got %d)", r.DiskMB)
	}
	return v.ErrorOrNil()
}

// Add adds o to r; a nil o adds nothing.
func (r *Resources) Add(o *Resources) {
	if o == nil {
		return
	}
	r.CPU += o.CPU
	r.MemoryMB += o.MemoryMB
	r.Cores += o.Cores
	r.DiskMB += o.DiskMB
}

// Subtract removes o from r.
func (r *Resources) Subtract(o *Resources) {
	if o == nil {
		return
	}
	r.CPU -= o.CPU
	r.MemoryMB -= o.MemoryMB
	r.Cores -= o.Cores
	r.DiskMB -= o.DiskMB
}

// Superset reports whether r can hold o and, if not, which dimension is
// short ("cpu", "memory", "cores" or "disk"). These are the dimensions the
// scheduler packs; MemoryMaxMB is a limit above the reservation, not a
// reservation, and is not counted.
func (r *Resources) Superset(o *Resources) (bool, string) {
	if o == nil {
		return true, ""
	}
	if r.CPU < o.CPU {
		return false, "cpu"
	}
	if r.MemoryMB < o.MemoryMB {
		return false, "memory"
	}
	if r.Cores < o.Cores {
		return false, "cores"
	}
	if r.DiskMB < o.DiskMB {
		return false, "disk"
	}
	return true, ""
}

// NodeResources are what a node offers to the scheduler.
type NodeResources struct {
	CPU      int `json:"cpu"`    // total MHz (cores × MHz per core)
	Cores    int `json:"cores"`  // logical cores
	MemoryMB int `json:"memory"` // total MB
	DiskMB   int `json:"disk,omitempty"`
}

// Comparable returns the node's capacity as Resources.
func (n *NodeResources) Comparable() *Resources {
	if n == nil {
		return &Resources{}
	}
	return &Resources{CPU: n.CPU, MemoryMB: n.MemoryMB, Cores: n.Cores, DiskMB: n.DiskMB}
}
