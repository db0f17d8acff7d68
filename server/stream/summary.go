package stream

import "github.com/appmesh/appmesh/structs"

// AllocSummary is what an allocation event carries by default: who and
// where the allocation is, its statuses and its tasks' states, under the
// same JSON names as the whole allocation (GET /v1/allocation/{id}, or
// ?full=true on the stream). It leaves out the placement metrics,
// resources, ports and task event histories, which are most of the bytes:
// every placement writes an allocation twice (placed, then running), and
// with a hundred subscribers each write is sent a hundred times.
type AllocSummary struct {
	ID                    string                       `json:"id"`
	Namespace             string                       `json:"namespace"`
	Name                  string                       `json:"name"`
	JobID                 string                       `json:"job_id"`
	JobVersion            uint64                       `json:"job_version"`
	TaskGroup             string                       `json:"group"`
	NodeID                string                       `json:"node_id"`
	NodeName              string                       `json:"node_name"`
	EvalID                string                       `json:"eval_id"`
	DesiredStatus         string                       `json:"desired_status"`
	DesiredDescription    string                       `json:"desired_description,omitempty"`
	ClientStatus          string                       `json:"client_status"`
	ClientDescription     string                       `json:"client_description,omitempty"`
	TaskStates            map[string]*TaskStateSummary `json:"task_states,omitempty"`
	Healthy               *bool                        `json:"healthy,omitempty"`
	PreviousAllocation    string                       `json:"previous_allocation,omitempty"`
	PreemptedByAllocation string                       `json:"preempted_by_allocation,omitempty"`
	CreateIndex           uint64                       `json:"create_index"`
	ModifyIndex           uint64                       `json:"modify_index"`
}

// TaskStateSummary is a task's state without its event history.
type TaskStateSummary struct {
	State     string `json:"state"`
	Failed    bool   `json:"failed"`
	Restarts  int    `json:"restarts"`
	ExitCode  *int   `json:"exit_code,omitempty"`
	LastError string `json:"last_error,omitempty"`
	Health    string `json:"health,omitempty"`
}

// SummarizeAlloc builds an allocation's summary.
func SummarizeAlloc(a *structs.Allocation) *AllocSummary {
	s := &AllocSummary{
		ID: a.ID, Namespace: a.Namespace, Name: a.Name, JobID: a.JobID, JobVersion: a.JobVersion,
		TaskGroup: a.TaskGroup, NodeID: a.NodeID, NodeName: a.NodeName, EvalID: a.EvalID,
		DesiredStatus: a.DesiredStatus, DesiredDescription: a.DesiredDescription,
		ClientStatus: a.ClientStatus, ClientDescription: a.ClientDescription, Healthy: a.Healthy,
		PreviousAllocation: a.PreviousAllocation, PreemptedByAllocation: a.PreemptedByAllocation,
		CreateIndex: a.CreateIndex, ModifyIndex: a.ModifyIndex,
	}
	if len(a.TaskStates) > 0 {
		s.TaskStates = make(map[string]*TaskStateSummary, len(a.TaskStates))
		for name, ts := range a.TaskStates {
			if ts == nil {
				continue
			}
			s.TaskStates[name] = &TaskStateSummary{State: ts.State, Failed: ts.Failed, Restarts: ts.Restarts,
				ExitCode: ts.ExitCode, LastError: ts.LastError, Health: ts.Health}
		}
	}
	return s
}

// hasSummary reports whether a payload has a short form.
func hasSummary(payload any) bool {
	_, ok := payload.(*structs.Allocation)
	return ok
}

// summarize returns the short form of a payload, or the payload itself
// when it has none.
func summarize(payload any) any {
	if a, ok := payload.(*structs.Allocation); ok {
		return SummarizeAlloc(a)
	}
	return payload
}
