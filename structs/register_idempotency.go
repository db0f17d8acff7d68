package structs

// RegisterRecord is what a job record keeps of the register that last
// wrote it: the idempotency token it came with and what it answered. A
// register retried with that token (a lost answer, a leader change)
// gets this answer back instead of writing a new evaluation. It lives on
// the job in the replicated state, so it survives snapshots and failover.
type RegisterRecord struct {
	Token  string `json:"token"`
	EvalID string `json:"eval_id,omitempty"`
	// Index is the Raft index of the register (its evaluation's create
	// index); JobModifyIndex is the job's modify index after it.
	Index          uint64 `json:"index"`
	JobModifyIndex uint64 `json:"job_modify_index"`
}

// Copy returns a copy of r.
func (r *RegisterRecord) Copy() *RegisterRecord {
	if r == nil {
		return nil
	}
	c := *r
	return &c
}
