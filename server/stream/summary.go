package stream

import (
	"encoding/json"
	"sort"
	"strconv"

	"github.com/appmesh/appmesh/structs"
)

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

// appendAllocSummary appends an allocation's summary as JSON, exactly as
// json.Marshal(SummarizeAlloc(a)) would write it (same names, order and
// omitempty; tested), straight from the allocation and without
// reflection: allocations are most of the events a busy stream encodes.
func appendAllocSummary(b []byte, a *structs.Allocation) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, a.ID)
	b = appendField(b, "namespace", a.Namespace)
	b = appendField(b, "name", a.Name)
	b = appendField(b, "job_id", a.JobID)
	b = append(b, `,"job_version":`...)
	b = strconv.AppendUint(b, a.JobVersion, 10)
	b = appendField(b, "group", a.TaskGroup)
	b = appendField(b, "node_id", a.NodeID)
	b = appendField(b, "node_name", a.NodeName)
	b = appendField(b, "eval_id", a.EvalID)
	b = appendField(b, "desired_status", a.DesiredStatus)
	b = appendOptional(b, "desired_description", a.DesiredDescription)
	b = appendField(b, "client_status", a.ClientStatus)
	b = appendOptional(b, "client_description", a.ClientDescription)
	b = appendTaskStates(b, a.TaskStates)
	if a.Healthy != nil {
		b = append(b, `,"healthy":`...)
		b = strconv.AppendBool(b, *a.Healthy)
	}
	b = appendOptional(b, "previous_allocation", a.PreviousAllocation)
	b = appendOptional(b, "preempted_by_allocation", a.PreemptedByAllocation)
	b = append(b, `,"create_index":`...)
	b = strconv.AppendUint(b, a.CreateIndex, 10)
	b = append(b, `,"modify_index":`...)
	b = strconv.AppendUint(b, a.ModifyIndex, 10)
	return append(b, '}')
}

// appendTaskStates appends ,"task_states":{...} in name order (as
// encoding/json sorts map keys), leaving out nil states as SummarizeAlloc
// does.
func appendTaskStates(b []byte, states map[string]*structs.TaskState) []byte {
	var names []string
	for name, ts := range states {
		if ts != nil {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return b // omitempty
	}
	sort.Strings(names)
	b = append(b, `,"task_states":{`...)
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, name)
		b = append(b, ':')
		b = appendTaskStateSummary(b, states[name])
	}
	return append(b, '}')
}

func appendTaskStateSummary(b []byte, t *structs.TaskState) []byte {
	b = append(b, `{"state":`...)
	b = appendString(b, t.State)
	b = append(b, `,"failed":`...)
	b = strconv.AppendBool(b, t.Failed)
	b = append(b, `,"restarts":`...)
	b = strconv.AppendInt(b, int64(t.Restarts), 10)
	if t.ExitCode != nil {
		b = append(b, `,"exit_code":`...)
		b = strconv.AppendInt(b, int64(*t.ExitCode), 10)
	}
	b = appendOptional(b, "last_error", t.LastError)
	b = appendOptional(b, "health", t.Health)
	return append(b, '}')
}

// appendField appends ,"name":"value".
func appendField(b []byte, name, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

// appendOptional is appendField for an omitempty field.
func appendOptional(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	return appendField(b, name, value)
}

// appendString appends s as a JSON string. IDs, names and statuses are
// plain ASCII and go as they are; anything else is left to encoding/json
// so that escaping matches json.Marshal exactly.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
