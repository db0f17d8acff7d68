package structs

// AllocStopRPC stops one allocation and has the scheduler replace it.
const AllocStopRPC = "Alloc.Stop"

// AllocStopRequest names the allocation to stop.
type AllocStopRequest struct {
	AllocID string `json:"alloc_id"`
	WriteRequest
}

// AllocStopResponse carries the evaluation that places the replacement
// (empty when the job is stopped or gone: nothing is replaced).
type AllocStopResponse struct {
	EvalID string `json:"eval_id,omitempty"`
	WriteMeta
}
