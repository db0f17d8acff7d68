package structs

import (
	"fmt"
	"regexp"
	"strings"
)

// Job types.
const (
	JobTypeService  = "service"
	JobTypeBatch    = "batch"
	JobTypeSystem   = "system"
	JobTypeSysBatch = "sysbatch"
)

// Job statuses, derived from the job's allocations and evaluations.
const (
	JobStatusPending = "pending"
	JobStatusRunning = "running"
	JobStatusDead    = "dead"
)

const (
	DefaultNamespace  = "default"
	DefaultDatacenter = "dc1"
	DefaultPriority   = 50
	MinPriority       = 1
	MaxPriority       = 100
)

var validJobID = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.\-/]{0,127}$`)

// Job is the unit a user submits: groups of tasks that the scheduler places
// together. Fields tagged hcl:"-" are owned by the servers.
type Job struct {
	ID          string            `json:"id" hcl:",label"`
	Name        string            `json:"name,omitempty"`
	Namespace   string            `json:"namespace,omitempty"`
	Type        string            `json:"type,omitempty"`
	Priority    int               `json:"priority,omitempty"`
	Datacenters []string          `json:"datacenters,omitempty"`
	Constraints []*Constraint     `json:"constraints,omitempty" hcl:"constraint,block"`
	Groups      []*TaskGroup      `json:"groups" hcl:"group,block"`
	Meta        map[string]string `json:"meta,omitempty"`
	Affinities  []*Affinity       `json:"affinities,omitempty" hcl:"affinity,block"`
	Spreads     []*Spread         `json:"spreads,omitempty" hcl:"spread,block"`
	// Update is the default update strategy of groups without their own.
	Update *UpdateStrategy `json:"update,omitempty" hcl:"update,block"`
	// Reschedule is the default reschedule policy of groups without their
	// own (structs/reschedule.go).
	Reschedule *ReschedulePolicy `json:"reschedule,omitempty" hcl:"reschedule,block"`
	// Migrate is the default of the groups' migrate blocks (scaling.go).
	Migrate *MigrateStrategy `json:"migrate,omitempty" hcl:"migrate,block"`
	// Periodic and Parameterized make the job a template whose children
	// run (structs/periodic.go, structs/parameterized.go).
	Periodic      *PeriodicConfig      `json:"periodic,omitempty" hcl:"periodic,block"`
	Parameterized *ParameterizedConfig `json:"parameterized,omitempty" hcl:"parameterized,block"`
	// StartTime and EndTime (RFC 3339) bound when the job may run.
	StartTime string `json:"start_time,omitempty"`
	EndTime   string `json:"end_time,omitempty"`

	// Set by the servers.
	Stop              bool   `json:"stop,omitempty" hcl:"-"`
	Status            string `json:"status,omitempty" hcl:"-"`
	StatusDescription string `json:"status_description,omitempty" hcl:"-"`
	Version           uint64 `json:"version" hcl:"-"`
	SubmitTime        int64  `json:"submit_time,omitempty" hcl:"-"`
	CreateIndex       uint64 `json:"create_index,omitempty" hcl:"-"`
	ModifyIndex       uint64 `json:"modify_index,omitempty" hcl:"-"`
	JobModifyIndex    uint64 `json:"job_modify_index,omitempty" hcl:"-"`
	// ParentID names the periodic or parameterized job that launched this
	// child; Payload is a dispatched child's input (base64 in JSON).
	ParentID string `json:"parent_id,omitempty" hcl:"-"`
	Payload  []byte `json:"payload,omitempty" hcl:"-"`
	// DispatchIdempotencyToken is the token a dispatched child was made
	// with: a dispatch retried with it returns this child (dispatch.go).
	DispatchIdempotencyToken string `json:"dispatch_idempotency_token,omitempty" hcl:"-"`
	// LastRegister is the token and answer of the register that last
	// wrote this record: a retry with that token gets the same answer.
	LastRegister *RegisterRecord `json:"last_register,omitempty" hcl:"-"`
	// Stable is set on a version once all its allocations were healthy;
	// auto_revert returns to the latest stable version (structs/rollout.go).
	Stable bool `json:"stable,omitempty" hcl:"-"`
	// UpdateFailure says why the rollout of this version was halted.
	UpdateFailure string `json:"update_failure,omitempty" hcl:"-"`
	// Promoted is set on a version once its canaries were promoted
	// (`appmesh job promote`, or auto_promote): its rollout goes on
	// replacing the old allocations.
	Promoted bool `json:"promoted,omitempty" hcl:"-"`
	// ProgressTime (unix nanoseconds) restarts the progress_deadline
	// clock: set when the version was promoted.
	ProgressTime int64 `json:"progress_time,omitempty" hcl:"-"`
}

// Canonicalize fills in defaults. It is idempotent and is called before
// validation, both by the CLI and by the servers.
func (j *Job) Canonicalize() {
	if j == nil || len(j.nullEntries()) > 0 {
		return // Validate refuses it
	}
	if j.Name == "" {
		j.Name = j.ID
	}
	if j.Namespace == "" {
		j.Namespace = DefaultNamespace
	}
	if j.Type == "" {
		j.Type = JobTypeService
	}
	if j.Priority == 0 {
		j.Priority = DefaultPriority
	}
	if len(j.Datacenters) == 0 {
		j.Datacenters = []string{"*"}
	}
	for _, g := range j.Groups {
		if g.Migrate == nil && j.Migrate != nil {
			g.Migrate = j.Migrate.Copy()
		}
		g.Canonicalize(j)
	}
	j.Parameterized.Canonicalize()
}

// Validate returns a *ValidationError naming every bad field, e.g.
// `group "web": task "server": driver is required`.
func (j *Job) Validate() error {
	v := &ValidationError{}
	if j == nil {
		v.Add("", "job is required")
		return v
	}
	if nulls := j.nullEntries(); len(nulls) > 0 {
		v.Add("", "null entries are not allowed: %s", strings.Join(nulls, ", "))
		return v
	}
	switch {
	case j.ID == "":
		v.Add("", "job id is required")
	case !validJobID.MatchString(j.ID):
		v.Add("", "job id %q is invalid: use letters, digits, '_', '-', '.' and '/', at most 128 characters", j.ID)
	}
	switch j.Type {
	case JobTypeService, JobTypeBatch, JobTypeSystem, JobTypeSysBatch:
	default:
		v.Add("", "type %q is invalid: must be one of service, batch, system, sysbatch", j.Type)
	}
	if j.Priority < MinPriority || j.Priority > MaxPriority {
		v.Add("", "priority %d is out of range: must be between %d and %d", j.Priority, MinPriority, MaxPriority)
	}
	for i, c := range j.Constraints {
		v.Merge(fmt.Sprintf("constraint %d", i+1), c.Validate())
	}
	v.Merge("update", j.Update.Validate())
	v.Merge("reschedule", j.Reschedule.Validate())
	v.Merge("migrate", j.Migrate.Validate())
	j.validateSchedule(v)
	validateAffinitiesSpreads(v, j.Affinities, j.Spreads)
	if len(j.Groups) == 0 {
		v.Add("", "job must have at least one group")
	}
	seen := map[string]bool{}
	for i, g := range j.Groups {
		name := g.Name
		if name == "" {
			v.Add(fmt.Sprintf("group %d", i+1), "name is required")
			continue
		}
		if seen[name] {
			v.Add(fmt.Sprintf("group %q", name), "defined more than once")
		}
		seen[name] = true
		v.Merge(fmt.Sprintf("group %q", name), g.Validate(j))
		u := GroupUpdate(j, g)
		v.Merge(fmt.Sprintf("group %q update", name), u.ValidateMerged())
		if u.Canaries() > 0 && j.Type != JobTypeService {
			v.Add(fmt.Sprintf("group %q update", name), "canary is only for service jobs (this job's type is %s)", j.Type)
		}
	}
	return v.ErrorOrNil()
}

// LookupGroup returns the group with the given name or nil.
func (j *Job) LookupGroup(name string) *TaskGroup {
	for _, g := range j.Groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// Stopped reports whether the job is stopped by the user.
func (j *Job) Stopped() bool { return j == nil || j.Stop }

// IsBatchLike reports whether allocations of the job run to completion.
func (j *Job) IsBatchLike() bool {
	return j.Type == JobTypeBatch || j.Type == JobTypeSysBatch
}

// Copy returns a deep copy through JSON-free manual cloning of the mutable
// parts that servers change (groups are shared read-only otherwise).
func (j *Job) Copy() *Job {
	if j == nil {
		return nil
	}
	c := *j
	c.Datacenters = append([]string(nil), j.Datacenters...)
	c.Constraints = append([]*Constraint(nil), j.Constraints...)
	c.Groups = make([]*TaskGroup, len(j.Groups))
	for i, g := range j.Groups {
		c.Groups[i] = g.Copy()
	}
	c.Meta = copyStringMap(j.Meta)
	c.Affinities = append([]*Affinity(nil), j.Affinities...)
	c.Spreads = append([]*Spread(nil), j.Spreads...)
	c.Update = j.Update.Copy()
	c.Migrate = j.Migrate.Copy()
	c.Reschedule = j.Reschedule.Copy()
	c.Periodic = j.Periodic.Copy()
	c.Parameterized = j.Parameterized.Copy()
	c.LastRegister = j.LastRegister.Copy()
	return &c
}

// JobListStub is the summary returned when listing jobs.
type JobListStub struct {
	ID                string                   `json:"id"`
	Name              string                   `json:"name"`
	Namespace         string                   `json:"namespace"`
	Type              string                   `json:"type"`
	Priority          int                      `json:"priority"`
	Status            string                   `json:"status"`
	StatusDescription string                   `json:"status_description,omitempty"`
	Stop              bool                     `json:"stop"`
	Version           uint64                   `json:"version"`
	SubmitTime        int64                    `json:"submit_time"`
	Summary           map[string]*GroupSummary `json:"summary,omitempty"`
	CreateIndex       uint64                   `json:"create_index"`
	ModifyIndex       uint64                   `json:"modify_index"`
	JobModifyIndex    uint64                   `json:"job_modify_index"`
	ParentID          string                   `json:"parent_id,omitempty"`
	Periodic          bool                     `json:"periodic,omitempty"`
	Parameterized     bool                     `json:"parameterized,omitempty"`
}

// GroupSummary counts a group's allocations by client status.
type GroupSummary struct {
	Queued   int `json:"queued"`
	Starting int `json:"starting"`
	Running  int `json:"running"`
	Complete int `json:"complete"`
	Failed   int `json:"failed"`
	Lost     int `json:"lost"`
	// Unknown counts allocations on nodes that stopped heartbeating
	// within their group's disconnect window.
	Unknown int `json:"unknown,omitempty"`
}

// Stub returns the list form of the job.
func (j *Job) Stub() *JobListStub {
	return &JobListStub{
		ID: j.ID, Name: j.Name, Namespace: j.Namespace, Type: j.Type, Priority: j.Priority,
		Status: j.Status, StatusDescription: j.StatusDescription, Stop: j.Stop,
		Version: j.Version, SubmitTime: j.SubmitTime, CreateIndex: j.CreateIndex,
		ModifyIndex: j.ModifyIndex, JobModifyIndex: j.JobModifyIndex,
		ParentID: j.ParentID, Periodic: j.Periodic != nil, Parameterized: j.Parameterized != nil,
	}
}

func copyStringMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
