package structs

import "fmt"

// Desired statuses of an allocation (set by the servers).
const (
	AllocDesiredRun  = "run"
	AllocDesiredStop = "stop"
)

// Client statuses of an allocation (reported by the client).
const (
	AllocClientPending  = "pending"
	AllocClientRunning  = "running"
	AllocClientComplete = "complete"
	AllocClientFailed   = "failed"
	AllocClientLost     = "lost"
)

// Allocation is one placed copy of a task group on a node. It references its
// job by ID and version instead of embedding a copy.
type Allocation struct {
	ID                 string                `json:"id"`
	Namespace          string                `json:"namespace"`
	EvalID             string                `json:"eval_id"`
	Name               string                `json:"name"` // job.group[index]
	NodeID             string                `json:"node_id"`
	NodeName           string                `json:"node_name"`
	JobID              string                `json:"job_id"`
	JobVersion         uint64                `json:"job_version"`
	TaskGroup          string                `json:"group"`
	Resources          *Resources            `json:"resources,omitempty"`
	TaskResources      map[string]*Resources `json:"task_resources,omitempty"`
	DesiredStatus      string                `json:"desired_status"`
	DesiredDescription string                `json:"desired_description,omitempty"`
	ClientStatus       string                `json:"client_status"`
	ClientDescription  string                `json:"client_description,omitempty"`
	TaskStates         map[string]*TaskState `json:"task_states,omitempty"`
	PreviousAllocation string                `json:"previous_allocation,omitempty"`
	Metrics            *AllocMetric          `json:"metrics,omitempty"`
	CreateIndex        uint64                `json:"create_index"`
	ModifyIndex        uint64                `json:"modify_index"`
	AllocModifyIndex   uint64                `json:"alloc_modify_index"`
	CreateTime         int64                 `json:"create_time"`
	ModifyTime         int64                 `json:"modify_time"`

	// AllocatedPorts are the ports the allocation holds on its node.
	AllocatedPorts []AllocatedPort `json:"allocated_ports,omitempty"`
	// PreemptedAllocations are the lower-priority allocations this one
	// evicted; PreemptedByAllocation is set on each of them.
	PreemptedAllocations  []string `json:"preempted_allocations,omitempty"`
	PreemptedByAllocation string   `json:"preempted_by_allocation,omitempty"`
	// Healthy is set by the client from the tasks' health checks (see
	// AllocHealth); nil while unknown or without checks.
	Healthy *bool `json:"healthy,omitempty"`
	// HealthyTime (unix nanoseconds, from the client's report) is when
	// Healthy last turned true: the progress_deadline clock restarts then.
	HealthyTime int64 `json:"healthy_time,omitempty"`
	// Canary marks an allocation placed as a canary of its job version: it
	// runs next to the old allocations until the version is promoted.
	Canary bool `json:"canary,omitempty"`
	// RescheduleTracker lists the reschedules that led to this allocation
	// (carried over from its predecessors); nil for a first placement.
	RescheduleTracker *RescheduleTracker `json:"reschedule_tracker,omitempty"`
	// DisconnectedAt (unix nanoseconds) is when the allocation's node
	// stopped heartbeating and it became unknown (disconnect.go); 0 if
	// that never happened.
	DisconnectedAt int64 `json:"disconnected_at,omitempty"`
	// DrainReplacement marks an allocation placed to replace one moved off
	// a draining node: the client judges its health by the group's migrate
	// block, and the drain moves the next allocation once it is healthy.
	DrainReplacement bool `json:"drain_replacement,omitempty"`
}

// Index parses the allocation's index out of its name ("job.group[3]").
func (a *Allocation) Index() int {
	var idx int
	for i := len(a.Name) - 1; i >= 0; i-- {
		if a.Name[i] == '[' {
			fmt.Sscanf(a.Name[i:], "[%d]", &idx)
			break
		}
	}
	return idx
}

// AllocName builds the conventional allocation name.
func AllocName(job, group string, idx int) string {
	return fmt.Sprintf("%s.%s[%d]", job, group, idx)
}

// TerminalStatus reports whether the allocation is done for good: stopped by
// the servers or finished on the client.
func (a *Allocation) TerminalStatus() bool {
	return a.DesiredStatus == AllocDesiredStop || a.ClientTerminalStatus()
}

// ClientTerminalStatus reports whether the client says the allocation ended.
func (a *Allocation) ClientTerminalStatus() bool {
	switch a.ClientStatus {
	case AllocClientComplete, AllocClientFailed, AllocClientLost:
		return true
	}
	return false
}

// Copy returns a deep copy.
func (a *Allocation) Copy() *Allocation {
	if a == nil {
		return nil
	}
	c := *a
	if a.Resources != nil {
		r := *a.Resources
		c.Resources = &r
	}
	if a.TaskResources != nil {
		c.TaskResources = make(map[string]*Resources, len(a.TaskResources))
		for k, r := range a.TaskResources {
			rc := *r
			c.TaskResources[k] = &rc
		}
	}
	if a.Healthy != nil {
		h := *a.Healthy
		c.Healthy = &h
	}
	c.RescheduleTracker = a.RescheduleTracker.Copy()
	c.AllocatedPorts = append([]AllocatedPort(nil), a.AllocatedPorts...)
	c.PreemptedAllocations = append([]string(nil), a.PreemptedAllocations...)
	if a.TaskStates != nil {
		c.TaskStates = make(map[string]*TaskState, len(a.TaskStates))
		for k, s := range a.TaskStates {
			c.TaskStates[k] = s.Copy()
		}
	}
	return &c
}

// AllocListStub is the summary returned when listing allocations.
type AllocListStub struct {
	ID                 string                `json:"id"`
	Namespace          string                `json:"namespace"`
	EvalID             string                `json:"eval_id"`
	Name               string                `json:"name"`
	NodeID             string                `json:"node_id"`
	NodeName           string                `json:"node_name"`
	JobID              string                `json:"job_id"`
	JobVersion         uint64                `json:"job_version"`
	TaskGroup          string                `json:"group"`
	DesiredStatus      string                `json:"desired_status"`
	DesiredDescription string                `json:"desired_description,omitempty"`
	ClientStatus       string                `json:"client_status"`
	ClientDescription  string                `json:"client_description,omitempty"`
	TaskStates         map[string]*TaskState `json:"task_states,omitempty"`
	CreateIndex        uint64                `json:"create_index"`
	ModifyIndex        uint64                `json:"modify_index"`
	CreateTime         int64                 `json:"create_time"`
	ModifyTime         int64                 `json:"modify_time"`
	Healthy            *bool                 `json:"healthy,omitempty"`
	Canary             bool                  `json:"canary,omitempty"`
	DisconnectedAt     int64                 `json:"disconnected_at,omitempty"`
	DrainReplacement   bool                  `json:"drain_replacement,omitempty"`
}

// Stub returns the list form of the allocation.
func (a *Allocation) Stub() *AllocListStub {
	return &AllocListStub{
		ID: a.ID, Namespace: a.Namespace, EvalID: a.EvalID, Name: a.Name, NodeID: a.NodeID,
		NodeName: a.NodeName, JobID: a.JobID, JobVersion: a.JobVersion, TaskGroup: a.TaskGroup,
		DesiredStatus: a.DesiredStatus, DesiredDescription: a.DesiredDescription,
		ClientStatus: a.ClientStatus, ClientDescription: a.ClientDescription,
		TaskStates: a.TaskStates, CreateIndex: a.CreateIndex, ModifyIndex: a.ModifyIndex,
		CreateTime: a.CreateTime, ModifyTime: a.ModifyTime, Healthy: a.Healthy,
		Canary: a.Canary, DisconnectedAt: a.DisconnectedAt, DrainReplacement: a.DrainReplacement,
	}
}

// AllocMetric explains a placement decision; for failed placements it says
// which constraint or resource dimension ruled out how many nodes.
type AllocMetric struct {
	NodesEvaluated     int            `json:"nodes_evaluated"`
	NodesFiltered      int            `json:"nodes_filtered"`
	NodesAvailable     map[string]int `json:"nodes_available,omitempty"` // by datacenter
	ConstraintFiltered map[string]int `json:"constraint_filtered,omitempty"`
	NodesExhausted     int            `json:"nodes_exhausted"`
	DimensionExhausted map[string]int `json:"dimension_exhausted,omitempty"`
	CoalescedFailures  int            `json:"coalesced_failures,omitempty"`
	Score              float64        `json:"score,omitempty"`
}

// FilterNode records a node removed by a constraint.
func (m *AllocMetric) FilterNode(constraint string) {
	m.NodesFiltered++
	if constraint != "" {
		if m.ConstraintFiltered == nil {
			m.ConstraintFiltered = map[string]int{}
		}
		m.ConstraintFiltered[constraint]++
	}
}

// ExhaustedNode records a node that lacked capacity in a dimension.
func (m *AllocMetric) ExhaustedNode(dimension string) {
	m.NodesExhausted++
	if dimension != "" {
		if m.DimensionExhausted == nil {
			m.DimensionExhausted = map[string]int{}
		}
		m.DimensionExhausted[dimension]++
	}
}

// AllocStatusUpdate is what a client reports for one allocation.
type AllocStatusUpdate struct {
	ID                string                `json:"id"`
	ClientStatus      string                `json:"client_status"`
	ClientDescription string                `json:"client_description,omitempty"`
	TaskStates        map[string]*TaskState `json:"task_states,omitempty"`
	ModifyTime        int64                 `json:"modify_time"`
	// Healthy is the allocation's health from its checks (nil: unknown).
	Healthy *bool `json:"healthy,omitempty"`
}
