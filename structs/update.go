package structs

import (
	"time"
)

// UpdateStrategy is the `update` block: how a changed job replaces its
// allocations.
//
//	update {
//	  max_parallel     = 2
//	  min_healthy_time = "10s"
//	  healthy_deadline = "5m"
//	  auto_revert      = true
//	}
type UpdateStrategy struct {
	// MaxParallel is how many allocations are replaced destructively at a
	// time; 0 replaces all at once.
	MaxParallel     int      `json:"max_parallel,omitempty"`
	MinHealthyTime  Duration `json:"min_healthy_time,omitempty"`
	HealthyDeadline Duration `json:"healthy_deadline,omitempty"`
	AutoRevert      bool     `json:"auto_revert,omitempty"`
}

// Validate checks the strategy.
func (u *UpdateStrategy) Validate() error {
	v := &ValidationError{}
	if u == nil {
		return nil
	}
	if u.MaxParallel < 0 {
		v.Add("", "max_parallel must not be negative (got %d)", u.MaxParallel)
	}
	if u.MinHealthyTime < 0 {
		v.Add("", "min_healthy_time must not be negative (got %s)", time.Duration(u.MinHealthyTime))
	}
	if u.HealthyDeadline < 0 {
		v.Add("", "healthy_deadline must not be negative (got %s)", time.Duration(u.HealthyDeadline))
	}
	if u.HealthyDeadline > 0 && u.MinHealthyTime >= u.HealthyDeadline {
		v.Add("", "min_healthy_time (%s) must be shorter than healthy_deadline (%s)",
			time.Duration(u.MinHealthyTime), time.Duration(u.HealthyDeadline))
	}
	return v.ErrorOrNil()
}

// Rolling reports whether replacements are limited per evaluation.
func (u *UpdateStrategy) Rolling() bool { return u != nil && u.MaxParallel > 0 }

// Copy returns a copy.
func (u *UpdateStrategy) Copy() *UpdateStrategy {
	if u == nil {
		return nil
	}
	c := *u
	return &c
}

// Evaluation triggers added by the phase 2 scheduler.
const (
	EvalTriggerPreemption    = "preemption"
	EvalTriggerRollingUpdate = "rolling-update"
	EvalTriggerJobRevert     = "job-revert"
)
