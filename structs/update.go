package structs

import (
	"reflect"
	"time"
)

// UpdateStrategy is the `update` block: how a changed job replaces its
// allocations.
//
//	update {
//	  max_parallel      = 2
//	  min_healthy_time  = "10s"
//	  healthy_deadline  = "5m"
//	  progress_deadline = "10m"
//	  auto_revert       = true
//	  canary            = 1
//	  auto_promote      = false
//	  health_check      = "checks"
//	}
//
// A group's block is merged over the job's (MergeUpdate).
type UpdateStrategy struct {
	// MaxParallel is how many allocations are replaced destructively at a
	// time; 0 replaces all at once.
	MaxParallel     int      `json:"max_parallel,omitempty"`
	MinHealthyTime  Duration `json:"min_healthy_time,omitempty"`
	HealthyDeadline Duration `json:"healthy_deadline,omitempty"`
	AutoRevert      bool     `json:"auto_revert,omitempty"`
	// Canary is how many allocations of a destructively changed version
	// are placed next to the old ones before any old one is replaced
	// (structs/deployment.go).
	Canary int `json:"canary,omitempty"`
	// AutoPromote promotes the canaries once all of them are healthy;
	// without it an operator runs `appmesh job promote`.
	AutoPromote bool `json:"auto_promote,omitempty"`
	// ProgressDeadline fails the update when no allocation of the version
	// became healthy within it (0: no deadline).
	ProgressDeadline Duration `json:"progress_deadline,omitempty"`
	// HealthCheck says how the client judges an allocation's health:
	// "checks" (tasks running and checks passing, the default),
	// "task_states" (tasks running; checks ignored) or "manual" (only
	// POST /v1/deployment/allocation-health/<id> sets it).
	HealthCheck string `json:"health_check,omitempty"`
	// Stagger is the least time between two batches of a rolling update
	// (server/scheduler/stagger.go), on top of the health gate.
	Stagger Duration `json:"stagger,omitempty"`
}

// Health check modes of the update block.
const (
	UpdateHealthChecks     = "checks"
	UpdateHealthTaskStates = "task_states"
	UpdateHealthManual     = "manual"
)

// Validate checks the strategy on its own; ValidateMerged checks what
// only makes sense once the group's block is merged over the job's.
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
	if u.Canary < 0 {
		v.Add("", "canary must not be negative (got %d)", u.Canary)
	}
	if u.ProgressDeadline < 0 {
		v.Add("", "progress_deadline must not be negative (got %s)", time.Duration(u.ProgressDeadline))
	}
	if u.Stagger < 0 {
		v.Add("", "stagger must not be negative (got %s)", time.Duration(u.Stagger))
	}
	switch u.HealthCheck {
	case "", UpdateHealthChecks, UpdateHealthTaskStates, UpdateHealthManual:
	default:
		v.Add("", "health_check %q is invalid: must be one of checks, task_states, manual", u.HealthCheck)
	}
	return v.ErrorOrNil()
}

// ValidateMerged checks a group's effective strategy (the group's block
// merged over the job's).
func (u *UpdateStrategy) ValidateMerged() error {
	v := &ValidationError{}
	if u == nil {
		return nil
	}
	if u.AutoPromote && u.Canary == 0 {
		v.Add("", "auto_promote needs canary of at least 1: without canaries there is nothing to promote")
	}
	if u.ProgressDeadline > 0 && u.HealthyDeadline > 0 && u.ProgressDeadline < u.HealthyDeadline {
		v.Add("", "progress_deadline (%s) must not be shorter than healthy_deadline (%s)",
			time.Duration(u.ProgressDeadline), time.Duration(u.HealthyDeadline))
	}
	return v.ErrorOrNil()
}

// MergeUpdate returns the group's strategy merged over the job's: each
// field the group leaves at its zero value is taken from the job, as Nomad
// merges the two blocks. Zero cannot be told from unset, so a group cannot
// turn off a job-level auto_revert or auto_promote by writing false; it
// can by having no update block at the job level. The result is a new
// value (neither input is changed); nil when both are nil.
func MergeUpdate(job, group *UpdateStrategy) *UpdateStrategy {
	switch {
	case group == nil:
		return job.Copy()
	case job == nil:
		return group.Copy()
	}
	out := *group
	ov, jv := reflect.ValueOf(&out).Elem(), reflect.ValueOf(job).Elem()
	for i := 0; i < ov.NumField(); i++ {
		if ov.Field(i).IsZero() {
			ov.Field(i).Set(jv.Field(i))
		}
	}
	return &out
}

// Rolling reports whether replacements are limited per evaluation.
func (u *UpdateStrategy) Rolling() bool { return u != nil && u.MaxParallel > 0 }

// Canaries returns how many canaries a destructive update places (0 for
// a nil strategy).
func (u *UpdateStrategy) Canaries() int {
	if u == nil {
		return 0
	}
	return u.Canary
}

// AutoPromoteOn reports whether canaries are promoted automatically
// (false for a nil strategy).
func (u *UpdateStrategy) AutoPromoteOn() bool { return u != nil && u.AutoPromote }

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
	// EvalTriggerDeploymentPromote: canaries were promoted; the rollout
	// continues.
	EvalTriggerDeploymentPromote = "deployment-promotion"
)
