package structs

// ApplyPlanBatchRequestType commits the results of several plans in one
// Raft entry: what the workers queued while the previous commit was on its
// way to disk.
const ApplyPlanBatchRequestType MessageType = 14

// ApplyPlanBatchEntry is the results of plans evaluated one after the
// other, each against the state with the ones before it applied. The FSM
// applies them in order, in one transaction.
type ApplyPlanBatchEntry struct {
	Plans []*ApplyPlanResultsEntry `json:"plans"`
}
