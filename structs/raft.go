package structs

// MessageType prefixes every Raft log entry: one type byte followed by a
// msgpack body. Values are only ever appended, never renumbered.
type MessageType uint8

const (
	NodeRegisterRequestType      MessageType = 0
	NodeUpdateStatusRequestType  MessageType = 1
	JobRegisterRequestType       MessageType = 2
	JobDeregisterRequestType     MessageType = 3
	EvalUpdateRequestType        MessageType = 4
	AllocClientUpdateRequestType MessageType = 5
	ApplyPlanResultsRequestType  MessageType = 6
	EvalDeleteRequestType        MessageType = 7
	NodeDeregisterRequestType    MessageType = 8
	// 9 is reserved for allocation stops.
	NodeUpdateRequestType MessageType = 10
)

// IgnoreUnknownTypeFlag set on a message type lets older servers skip
// entries they do not understand instead of failing.
const IgnoreUnknownTypeFlag MessageType = 128

// Raft entry payloads. They carry every value the FSM writes (IDs, times),
// because the FSM must be deterministic: no clock reads, no random IDs.

// JobRegisterEntry stores a job (new version) and, atomically, its evaluation.
type JobRegisterEntry struct {
	Job  *Job        `json:"job"`
	Eval *Evaluation `json:"eval,omitempty"`
}

// JobDeregisterEntry stops (or purges) a job and writes its evaluation.
type JobDeregisterEntry struct {
	Namespace string      `json:"namespace"`
	JobID     string      `json:"job_id"`
	Purge     bool        `json:"purge"`
	Eval      *Evaluation `json:"eval,omitempty"`
	// Time is the stop time (unix nanoseconds), set by the leader.
	Time int64 `json:"time"`
}

// NodeRegisterEntry upserts a node, with optional evaluations for its jobs.
type NodeRegisterEntry struct {
	Node  *Node         `json:"node"`
	Evals []*Evaluation `json:"evals,omitempty"`
}

// NodeStatusEntry changes a node's status, with optional evaluations.
type NodeStatusEntry struct {
	NodeID    string        `json:"node_id"`
	Status    string        `json:"status"`
	UpdatedAt int64         `json:"updated_at"`
	Evals     []*Evaluation `json:"evals,omitempty"`
	// UnknownAllocs become unknown with the node going down: their groups
	// have a disconnect window (structs/disconnect.go).
	UnknownAllocs []string `json:"unknown_allocs,omitempty"`
}

// NodeDeregisterEntry removes nodes.
type NodeDeregisterEntry struct {
	NodeIDs []string `json:"node_ids"`
}

// EvalUpdateEntry upserts evaluations.
type EvalUpdateEntry struct {
	Evals []*Evaluation `json:"evals"`
}

// EvalDeleteEntry deletes evaluations and allocations (garbage collection).
type EvalDeleteEntry struct {
	Evals  []string `json:"evals"`
	Allocs []string `json:"allocs"`
}

// AllocClientUpdateEntry applies client-reported allocation statuses and,
// atomically, the evaluations they trigger (e.g. a failed allocation).
type AllocClientUpdateEntry struct {
	Allocs []*AllocStatusUpdate `json:"allocs"`
	Evals  []*Evaluation        `json:"evals,omitempty"`
}

// ApplyPlanResultsEntry commits a plan: stops and placements, plus the
// evaluation updates that came with it.
type ApplyPlanResultsEntry struct {
	// AllocsStopped: only ID, DesiredStatus, DesiredDescription, ClientStatus.
	AllocsStopped []*Allocation `json:"allocs_stopped,omitempty"`
	AllocsPlaced  []*Allocation `json:"allocs_placed,omitempty"`
	EvalID        string        `json:"eval_id"`
	// Time is the commit time (unix nanoseconds), set by the leader.
	Time int64 `json:"time"`
}
