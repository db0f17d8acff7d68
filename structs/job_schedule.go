package structs

import (
	"fmt"
	"time"
)

// RPC names of periodic and parameterized jobs.
const (
	JobDispatchRPC       = "Job.Dispatch"
	JobPeriodicForceRPC  = "Job.PeriodicForce"
	JobPeriodicStatusRPC = "Job.PeriodicStatus"
)

// IsParent reports whether the job is a template (periodic or
// parameterized) that is never placed itself: its children are.
func (j *Job) IsParent() bool {
	return j != nil && (j.Periodic != nil || j.Parameterized != nil)
}

// parseJobTime reads start_time/end_time: RFC 3339 ("2026-01-02T15:04:05Z",
// with an offset or Z). The zero time means "not set".
func parseJobTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time such as 2026-01-02T15:04:05Z: %v", s, err)
	}
	return t, nil
}

// TimeBounds returns the parsed start_time and end_time (zero when unset).
// Invalid values (rejected by Validate) read as unset.
func (j *Job) TimeBounds() (start, end time.Time) {
	start, _ = parseJobTime(j.StartTime)
	end, _ = parseJobTime(j.EndTime)
	return start, end
}

// RunnableAt reports whether the scheduler may run the job's allocations
// at now; when not, the reason says why. A parent (periodic or
// parameterized) never runs itself; a job runs only within its
// start_time/end_time.
func (j *Job) RunnableAt(now time.Time) (bool, string) {
	if j == nil {
		return false, "job is gone"
	}
	if j.IsParent() {
		return false, "periodic or parameterized job: only its children run"
	}
	start, end := j.TimeBounds()
	if !start.IsZero() && now.Before(start) {
		return false, "before start_time " + j.StartTime
	}
	if !end.IsZero() && !now.Before(end) {
		return false, "after end_time " + j.EndTime
	}
	return true, ""
}

// validateSchedule checks periodic, parameterized, start_time and end_time.
func (j *Job) validateSchedule(v *ValidationError) {
	if j.Periodic != nil && j.Parameterized != nil {
		v.Add("", "periodic and parameterized are exclusive: a job may have only one")
	}
	if j.IsParent() && j.Type != JobTypeBatch && j.Type != JobTypeSysBatch {
		v.Add("", "a periodic or parameterized job must be of type batch or sysbatch, not %q", j.Type)
	}
	v.Merge("periodic", j.Periodic.Validate())
	v.Merge("parameterized", j.Parameterized.Validate())
	start, err := parseJobTime(j.StartTime)
	if err != nil {
		v.Add("start_time", "%v", err)
	}
	end, err := parseJobTime(j.EndTime)
	if err != nil {
		v.Add("end_time", "%v", err)
	}
	if !start.IsZero() && !end.IsZero() && !end.After(start) {
		v.Add("end_time", "%s is not after start_time %s", j.EndTime, j.StartTime)
	}
}

// PeriodicChild derives the child job launched for tick: a copy without
// the periodic block, named "<id>/periodic-<unix>", with ParentID set.
func (j *Job) PeriodicChild(tick time.Time, late, forced bool) *Job {
	c := j.childCopy(PeriodicChildID(j.ID, tick))
	c.Meta[MetaPeriodicTick] = tick.UTC().Format(time.RFC3339)
	if late {
		c.Meta[MetaPeriodicLate] = "true"
	}
	if forced {
		c.Meta[MetaPeriodicForced] = "true"
	}
	return c
}

// DispatchChild derives a dispatched child with the given meta and payload.
func (j *Job) DispatchChild(id string, meta map[string]string, payload []byte) *Job {
	c := j.childCopy(id)
	for k, v := range meta {
		c.Meta[k] = v
	}
	c.Payload = append([]byte(nil), payload...)
	return c
}

func (j *Job) childCopy(id string) *Job {
	c := j.Copy()
	c.ClearServerOwned() // a child is a new job: nothing of the parent's record
	c.ID, c.Name, c.ParentID = id, id, j.ID
	c.Periodic, c.Parameterized = nil, nil
	if c.Meta == nil {
		c.Meta = map[string]string{}
	}
	return c
}

// PeriodicForceRequest launches a periodic job now.
type PeriodicForceRequest struct {
	JobID string `json:"job_id"`
	WriteRequest
}

// PeriodicForceResponse names the child job launched.
type PeriodicForceResponse struct {
	ChildJobID string `json:"child_job_id"`
	EvalID     string `json:"eval_id"`
	WriteMeta
}

// PeriodicStatus is the launch state of a periodic job: GET
// /v1/job/<id>/periodic. Times are RFC 3339; empty when unknown.
type PeriodicStatus struct {
	JobID string `json:"job_id"`
	// NextLaunch is the next scheduled launch (empty when none: stopped,
	// past end_time).
	NextLaunch string `json:"next_launch,omitempty"`
	LastLaunch string `json:"last_launch,omitempty"`
	// Children are the periodic or dispatched children, oldest first.
	Children []*JobListStub `json:"children"`
}

// PeriodicStatusResponse answers Job.PeriodicStatus.
type PeriodicStatusResponse struct {
	Status *PeriodicStatus `json:"status"`
	QueryMeta
}
