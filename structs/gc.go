package structs

// Garbage collection (server/core_gc.go) and node purge. Their Raft types
// take numbers from the range 40-49.
const (
	// CoreGCRequestType deletes a batch of collected objects.
	CoreGCRequestType MessageType = 40
	// NodePurgeRequestType removes a node and evaluates its jobs.
	NodePurgeRequestType MessageType = 41
)

// RPC methods of garbage collection and node purge.
const (
	SystemGCRPC  = "System.GarbageCollect"
	NodePurgeRPC = "Node.Purge"
)

// EvalTriggerNodePurge marks the evaluations of a purged node's jobs.
const EvalTriggerNodePurge = "node-purge"

// GCJobRef names a job to collect.
type GCJobRef struct {
	Namespace string `json:"namespace"`
	ID        string `json:"id"`
}

// CoreGCEntry deletes what the leader found collectable. The FSM checks
// each object again against the state it applies to and skips whatever
// is referenced after all (new allocations of a job, a node that came
// back), so a decision made on an older snapshot never loses work.
type CoreGCEntry struct {
	Evals  []string `json:"evals,omitempty"`
	Allocs []string `json:"allocs,omitempty"`
	// Jobs are deleted (with their versions) only when none of their
	// allocations and evaluations remain after this entry's deletions.
	Jobs []GCJobRef `json:"jobs,omitempty"`
	// Nodes are deleted only while down and without live allocations.
	Nodes []string `json:"nodes,omitempty"`
	// ACLTokens are deleted only when expired at Time.
	ACLTokens []string `json:"acl_tokens,omitempty"`
	// Time is the leader's clock (unix nanoseconds) when it decided.
	Time int64 `json:"time"`
}

// Size is the number of objects the entry names.
func (e *CoreGCEntry) Size() int {
	return len(e.Evals) + len(e.Allocs) + len(e.Jobs) + len(e.Nodes) + len(e.ACLTokens)
}

// NodePurgeEntry removes a node from the state and, in the same entry,
// writes an evaluation for every job with live allocations on it: the
// scheduler marks those allocations lost (their node no longer exists)
// and places them elsewhere.
type NodePurgeEntry struct {
	NodeID string        `json:"node_id"`
	Evals  []*Evaluation `json:"evals,omitempty"`
}

// SystemGCRequest forces a garbage collection with every threshold at
// zero: whatever is collectable now is collected.
type SystemGCRequest struct {
	WriteRequest
}

// SystemGCResponse counts what a forced collection deleted.
type SystemGCResponse struct {
	Collected GCCounts `json:"collected"`
	WriteMeta
}

// GCCounts counts collected objects by kind.
type GCCounts struct {
	Evals     int `json:"evals"`
	Allocs    int `json:"allocs"`
	Jobs      int `json:"jobs"`
	Nodes     int `json:"nodes"`
	ACLTokens int `json:"acl_tokens"`
}

// Add sums two counts.
func (c *GCCounts) Add(o GCCounts) {
	c.Evals += o.Evals
	c.Allocs += o.Allocs
	c.Jobs += o.Jobs
	c.Nodes += o.Nodes
	c.ACLTokens += o.ACLTokens
}

// Total is the number of objects counted.
func (c GCCounts) Total() int { return c.Evals + c.Allocs + c.Jobs + c.Nodes + c.ACLTokens }

// NodePurgeRequest asks to remove a node from the state.
type NodePurgeRequest struct {
	NodeID string `json:"node_id"`
	WriteRequest
}

// NodePurgeResponse names the evaluations that reschedule the purged
// node's work.
type NodePurgeResponse struct {
	EvalIDs []string `json:"eval_ids"`
	WriteMeta
}
