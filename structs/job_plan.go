package structs

// PlanAnnotations summarise what a plan does per group, for `job plan`.
type PlanAnnotations struct {
	Groups map[string]*GroupPlanSummary `json:"groups,omitempty"`
}

// GroupPlanSummary counts a group's planned changes.
type GroupPlanSummary struct {
	Place         int `json:"place,omitempty"`
	Stop          int `json:"stop,omitempty"`
	InPlaceUpdate int `json:"in_place_update,omitempty"`
	Destructive   int `json:"destructive_update,omitempty"`
	Preempt       int `json:"preempt,omitempty"`
	// Deferred destructive updates wait for a later evaluation of a
	// rolling update; Unplaced found no node.
	Deferred int `json:"deferred,omitempty"`
	// Canary: canaries placed next to the old allocations.
	Canary   int `json:"canary,omitempty"`
	Unplaced int `json:"unplaced,omitempty"`
	Ignore   int `json:"ignore,omitempty"`
}

// Group returns the summary of a group, creating it.
func (a *PlanAnnotations) Group(name string) *GroupPlanSummary {
	if a.Groups == nil {
		a.Groups = map[string]*GroupPlanSummary{}
	}
	g := a.Groups[name]
	if g == nil {
		g = &GroupPlanSummary{}
		a.Groups[name] = g
	}
	return g
}

// JobPlanRequest asks for a dry run of a job through the scheduler.
type JobPlanRequest struct {
	Job  *Job `json:"job"`
	Diff bool `json:"diff,omitempty"`
	WriteRequest
}

// JobPlanResponse is the outcome of a dry run.
type JobPlanResponse struct {
	// JobModifyIndex of the running version (0 for a new job), for
	// `job run -check-index`.
	JobModifyIndex uint64                  `json:"job_modify_index"`
	Annotations    *PlanAnnotations        `json:"annotations,omitempty"`
	FailedTGAllocs map[string]*AllocMetric `json:"failed_tg_allocs,omitempty"`
	Diff           *JobDiff                `json:"diff,omitempty"`
	// CreatedEvals: follow-ups the run would create (e.g. blocked).
	CreatedEvals []*Evaluation `json:"created_evals,omitempty"`
	// Placed and Stopped list the planned allocations (names and nodes).
	Placed  []*AllocListStub `json:"placed,omitempty"`
	Stopped []*AllocListStub `json:"stopped,omitempty"`
	WriteMeta
}

// JobDiff lists the fields that differ between the running and the
// submitted job, as dotted paths ("groups[web].tasks[server].config.args").
type JobDiff struct {
	Type   string       `json:"type"` // added | edited | none
	Fields []*FieldDiff `json:"fields,omitempty"`
}

// FieldDiff is one changed field.
type FieldDiff struct {
	Path string `json:"path"`
	Old  string `json:"old,omitempty"`
	New  string `json:"new,omitempty"`
}

// JobVersionsResponse lists a job's stored versions, newest first.
type JobVersionsResponse struct {
	Versions []*Job `json:"versions"`
	QueryMeta
}

// JobRevertRequest registers an older version of a job again.
type JobRevertRequest struct {
	JobID   string `json:"job_id"`
	Version uint64 `json:"version"`
	// EnforcePriorVersion, when set, makes the revert fail unless the
	// current version is this one.
	EnforcePriorVersion *uint64 `json:"enforce_prior_version,omitempty"`
	WriteRequest
}
