package structs

import (
	"maps"
	"time"
)

// ScalingPolicy is a group's `scaling` block: the bounds `appmesh job
// scale` (and an external autoscaler using the API) keeps the group's
// count within. Policy is the autoscaler's own configuration, kept as
// written and never read by appmesh.
//
//	scaling {
//	  min     = 1
//	  max     = 10
//	  enabled = true
//	  policy { cooldown = "1m" }
//	}
type ScalingPolicy struct {
	// Min defaults to the group's count, as in Nomad.
	Min     *int           `json:"min,omitempty"`
	Max     *int           `json:"max,omitempty"`
	Enabled *bool          `json:"enabled,omitempty"`
	Policy  map[string]any `json:"policy,omitempty" hcl:"policy,block"`
}

// Copy returns a deep copy (Policy's nested values are shared: nothing
// changes them).
func (p *ScalingPolicy) Copy() *ScalingPolicy {
	if p == nil {
		return nil
	}
	c := *p
	c.Policy = maps.Clone(p.Policy)
	if p.Min != nil {
		m := *p.Min
		c.Min = &m
	}
	if p.Max != nil {
		m := *p.Max
		c.Max = &m
	}
	if p.Enabled != nil {
		e := *p.Enabled
		c.Enabled = &e
	}
	return &c
}

// Bounds returns the lowest and highest count allowed; an unset Min (set
// by Canonicalize) is count.
func (p *ScalingPolicy) Bounds(count int) (lo, hi int) {
	lo, hi = count, *p.Max
	if p.Min != nil {
		lo = *p.Min
	}
	return lo, hi
}

// Validate checks the bounds against the group's count.
func (p *ScalingPolicy) Validate(count int) error {
	if p == nil {
		return nil
	}
	v := &ValidationError{}
	if p.Max == nil {
		v.Add("", "max is required: the highest count the group may be scaled to")
		return v
	}
	if *p.Max < 0 {
		v.Add("", "max must not be negative (got %d)", *p.Max)
	}
	if p.Min != nil && *p.Min < 0 {
		v.Add("", "min must not be negative (got %d)", *p.Min)
	}
	if p.Min != nil && *p.Max >= 0 && *p.Min > *p.Max {
		v.Add("", "min (%d) must not be greater than max (%d)", *p.Min, *p.Max)
	}
	if len(v.Problems) == 0 {
		if lo, hi := p.Bounds(count); count < lo || count > hi {
			v.Add("", "the group's count %d is outside min %d and max %d", count, lo, hi)
		}
	}
	return v.ErrorOrNil()
}

// MigrateStrategy is a group's `migrate` block, Nomad's settings for
// moving allocations off a draining node: max_parallel at a time, each
// batch once the previous replacements are healthy by this block's health
// settings (server/scheduler/drain_migrate.go, the client's health judge).
type MigrateStrategy struct {
	MaxParallel     *int     `json:"max_parallel,omitempty"`
	HealthCheck     string   `json:"health_check,omitempty"`
	MinHealthyTime  Duration `json:"min_healthy_time,omitempty"`
	HealthyDeadline Duration `json:"healthy_deadline,omitempty"`
}

// Copy returns a deep copy.
func (m *MigrateStrategy) Copy() *MigrateStrategy {
	if m == nil {
		return nil
	}
	c := *m
	if m.MaxParallel != nil {
		n := *m.MaxParallel
		c.MaxParallel = &n
	}
	return &c
}

// Nomad's defaults of a migrate block's fields.
const (
	DefaultMigrateMinHealthy = 10 * time.Second
	DefaultMigrateDeadline   = 5 * time.Minute
)

// Parallel is max_parallel, 1 when unset or not positive.
func (m *MigrateStrategy) Parallel() int {
	if m == nil || m.MaxParallel == nil || *m.MaxParallel < 1 {
		return 1
	}
	return *m.MaxParallel
}

// HealthSettings are the block's health settings with Nomad's defaults
// filled in: how a drain's replacement is judged healthy.
func (m *MigrateStrategy) HealthSettings() (minHealthy, deadline time.Duration, ignoreChecks bool) {
	minHealthy, deadline = DefaultMigrateMinHealthy, DefaultMigrateDeadline
	if m == nil {
		return minHealthy, deadline, false
	}
	if m.MinHealthyTime > 0 {
		minHealthy = m.MinHealthyTime.Std()
	}
	if m.HealthyDeadline > 0 {
		deadline = m.HealthyDeadline.Std()
	}
	return minHealthy, deadline, m.HealthCheck == "task_states"
}

// Validate checks the values Nomad would refuse.
func (m *MigrateStrategy) Validate() error {
	if m == nil {
		return nil
	}
	v := &ValidationError{}
	if m.MaxParallel != nil && *m.MaxParallel < 0 {
		v.Add("", "max_parallel must not be negative (got %d)", *m.MaxParallel)
	}
	switch m.HealthCheck {
	case "", "checks", "task_states":
	default:
		v.Add("", "health_check %q is invalid: use \"checks\" or \"task_states\"", m.HealthCheck)
	}
	if m.MinHealthyTime < 0 || m.HealthyDeadline < 0 {
		v.Add("", "min_healthy_time and healthy_deadline must not be negative")
	}
	if m.HealthyDeadline > 0 && m.MinHealthyTime >= m.HealthyDeadline {
		v.Add("", "min_healthy_time (%s) must be shorter than healthy_deadline (%s)", m.MinHealthyTime.Std(), m.HealthyDeadline.Std())
	}
	return v.ErrorOrNil()
}

// JobScaleRPC sets one group's count (appmesh job scale).
const JobScaleRPC = "Job.Scale"

// JobScaleRequest asks for a group's count. The job is registered again
// with only that count changed, as a new version.
type JobScaleRequest struct {
	JobID string `json:"job_id"`
	Group string `json:"group"`
	Count int    `json:"count"`
	// EnforceIndex makes the scale fail unless the job's JobModifyIndex is
	// still JobModifyIndex.
	EnforceIndex   bool   `json:"enforce_index,omitempty"`
	JobModifyIndex uint64 `json:"job_modify_index,omitempty"`
	WriteRequest
}
