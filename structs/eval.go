package structs

// Evaluation statuses.
const (
	EvalStatusPending  = "pending"
	EvalStatusComplete = "complete"
	EvalStatusFailed   = "failed"
	EvalStatusBlocked  = "blocked"
	EvalStatusCanceled = "canceled"
)

// What triggered an evaluation.
const (
	EvalTriggerJobRegister   = "job-register"
	EvalTriggerJobDeregister = "job-deregister"
	// EvalTriggerScaling: `job scale` changed a group's count (Nomad's
	// name for it).
	EvalTriggerScaling      = "job-scaling"
	EvalTriggerNodeUpdate   = "node-update"
	EvalTriggerNodeDrain    = "node-drain"
	EvalTriggerAllocStop    = "alloc-stop"
	EvalTriggerQueuedAllocs = "queued-allocs"
	EvalTriggerRetryFailed  = "failed-follow-up"
	EvalTriggerMaxPlans     = "max-plan-attempts"
)

// Evaluation asks the scheduler to reconcile a job's desired and actual state.
type Evaluation struct {
	ID                string                  `json:"id"`
	Namespace         string                  `json:"namespace"`
	Priority          int                     `json:"priority"`
	Type              string                  `json:"type"` // the job's type, picks the scheduler
	TriggeredBy       string                  `json:"triggered_by"`
	JobID             string                  `json:"job_id"`
	JobModifyIndex    uint64                  `json:"job_modify_index,omitempty"`
	NodeID            string                  `json:"node_id,omitempty"`
	Status            string                  `json:"status"`
	StatusDescription string                  `json:"status_description,omitempty"`
	NextEval          string                  `json:"next_eval,omitempty"`
	PreviousEval      string                  `json:"previous_eval,omitempty"`
	BlockedEval       string                  `json:"blocked_eval,omitempty"`
	FailedTGAllocs    map[string]*AllocMetric `json:"failed_tg_allocs,omitempty"`
	QueuedAllocations map[string]int          `json:"queued_allocations,omitempty"`
	SnapshotIndex     uint64                  `json:"snapshot_index,omitempty"`
	// WaitUntil (unix nanoseconds) holds a pending evaluation back until
	// then: the broker keeps it in its delay heap (reschedule delays).
	WaitUntil   int64  `json:"wait_until,omitempty"`
	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
	CreateTime  int64  `json:"create_time"`
	ModifyTime  int64  `json:"modify_time"`
}

// TerminalStatus reports whether the evaluation will not be processed again.
func (e *Evaluation) TerminalStatus() bool {
	switch e.Status {
	case EvalStatusComplete, EvalStatusFailed, EvalStatusCanceled:
		return true
	}
	return false
}

// Copy returns a deep copy.
func (e *Evaluation) Copy() *Evaluation {
	if e == nil {
		return nil
	}
	c := *e
	if e.FailedTGAllocs != nil {
		c.FailedTGAllocs = make(map[string]*AllocMetric, len(e.FailedTGAllocs))
		for k, m := range e.FailedTGAllocs {
			mc := *m
			c.FailedTGAllocs[k] = &mc
		}
	}
	if e.QueuedAllocations != nil {
		c.QueuedAllocations = make(map[string]int, len(e.QueuedAllocations))
		for k, v := range e.QueuedAllocations {
			c.QueuedAllocations[k] = v
		}
	}
	return &c
}

// CreateBlockedEval returns a blocked follow-up evaluation for placements
// that did not fit; it is woken when capacity changes.
func (e *Evaluation) CreateBlockedEval(failed map[string]*AllocMetric, now int64) *Evaluation {
	return &Evaluation{
		ID: GenerateID(), Namespace: e.Namespace, Priority: e.Priority, Type: e.Type,
		TriggeredBy: EvalTriggerQueuedAllocs, JobID: e.JobID, JobModifyIndex: e.JobModifyIndex,
		Status: EvalStatusBlocked, PreviousEval: e.ID, FailedTGAllocs: failed,
		CreateTime: now, ModifyTime: now,
	}
}
