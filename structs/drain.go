package structs

// DrainStrategy is set on a node that is being drained: it takes no new
// work, its service allocations move to other nodes at once, and batch
// allocations may finish until the deadline, after which they are stopped.
type DrainStrategy struct {
	// Deadline is how long batch work may keep running (0: stop at once).
	Deadline Duration `json:"deadline"`
	// ForceDeadline is StartedAt + Deadline, in unix nanoseconds.
	ForceDeadline int64 `json:"force_deadline"`
	StartedAt     int64 `json:"started_at"`
}

// NodeUpdateEntry changes a node's scheduling eligibility and/or drain
// state, with evaluations for the jobs that must move.
type NodeUpdateEntry struct {
	NodeID      string         `json:"node_id"`
	Eligibility string         `json:"eligibility,omitempty"`
	Drain       *DrainStrategy `json:"drain,omitempty"`
	// ClearDrain ends a drain (the node stays ineligible unless
	// Eligibility says otherwise).
	ClearDrain bool          `json:"clear_drain,omitempty"`
	Evals      []*Evaluation `json:"evals,omitempty"`
}

// NodeEligibilityRequest enables or disables scheduling on a node.
type NodeEligibilityRequest struct {
	NodeID      string `json:"node_id"`
	Eligibility string `json:"eligibility"`
	WriteRequest
}

// NodeDrainRequest starts (Drain != nil) or stops a drain.
type NodeDrainRequest struct {
	NodeID string         `json:"node_id"`
	Drain  *DrainStrategy `json:"drain,omitempty"`
	// MarkEligible makes the node eligible again when the drain is stopped.
	MarkEligible bool `json:"mark_eligible,omitempty"`
	WriteRequest
}

// IsDraining reports whether the node is being drained.
func (n *Node) IsDraining() bool { return n.DrainStrategy != nil }
