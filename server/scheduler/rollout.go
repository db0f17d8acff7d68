package scheduler

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// RolloutDecision is what the leader records for a job's current version
// after its allocations' health changed (see DecideRollout).
type RolloutDecision struct {
	Namespace, JobID string
	Version          uint64
	// Stable: every allocation of the version is healthy and no older
	// version runs any more.
	Stable bool
	// Failure halts the version's rollout and says why.
	Failure string
	// RevertTo is the stable version that auto_revert registers again.
	RevertTo *structs.Job
	// Promote: every canary is healthy and auto_promote is on.
	Promote bool
	// RecheckAt is when the version's progress_deadline passes, for the
	// leader to decide again then (zero: no deadline pending).
	RecheckAt time.Time
}

// Changed reports whether there is anything to record.
func (d *RolloutDecision) Changed() bool {
	return d != nil && (d.Stable || d.Failure != "" || d.Promote)
}

// maxRevertLookback bounds how many older versions are searched for a
// stable one (the servers keep only the last few).
const maxRevertLookback = 16

// DecideRollout judges the current version of a service job from its
// allocations' health: stable once all of its allocations are healthy,
// failed once a new allocation of an update turned unhealthy or failed.
// With auto_revert, a failure names the latest stable older version to
// go back to, unless that version has the same specification as the
// current one (sameSpec): a revert to it would only fail again, so the
// update is just marked failed. It is a pure function of the state, like
// the scheduler, so that tests drive it with the harness.
func DecideRollout(state State, namespace, jobID string, sameSpec func(a, b *structs.Job) bool) (*RolloutDecision, error) {
	return DecideRolloutAt(state, namespace, jobID, sameSpec, time.Now())
}

// DecideRolloutAt is DecideRollout at a given time: it also promotes
// healthy canaries under auto_promote and fails an update whose
// progress_deadline passed (canary.go, structs/deployment.go).
func DecideRolloutAt(state State, namespace, jobID string, sameSpec func(a, b *structs.Job) bool, now time.Time) (*RolloutDecision, error) {
	job, err := state.JobByID(namespace, jobID)
	if err != nil {
		return nil, fmt.Errorf("read job %q: %w", jobID, err)
	}
	if job == nil || job.Stopped() || job.Type != structs.JobTypeService || job.Stable || job.UpdateFailure != "" {
		return nil, nil // nothing left to decide for this version
	}
	allocs, err := state.AllocsByJob(namespace, jobID)
	if err != nil {
		return nil, fmt.Errorf("read allocations of job %q: %w", jobID, err)
	}
	d := &RolloutDecision{Namespace: job.Namespace, JobID: job.ID, Version: job.Version}
	if job.Version > 0 {
		if bad, why := firstUnhealthy(job, allocs); bad != nil {
			d.Failure = structs.UpdateFailureText(job.Version, bad.Name, why)
			if err := d.pickRevert(state, job, sameSpec); err != nil {
				return nil, err
			}
			return d, nil
		}
	}
	d.Stable = allHealthy(job, allocs)
	if d.Stable || !structs.HasDeployment(job) {
		return d, nil
	}
	dep := structs.DeploymentOf(job, job, allocs)
	if dep.NeedsPromotion() && dep.CanariesHealthy() && dep.AutoPromote() {
		d.Promote = true
		return d, nil
	}
	if by := structs.ProgressDeadlineAt(job, allocs, dep); !by.IsZero() {
		if now.Before(by) {
			d.RecheckAt = by
			return d, nil
		}
		return d, d.fail(state, job, sameSpec, fmt.Sprintf("update to version %d failed: no allocation became healthy within progress_deadline %s",
			job.Version, minProgressDeadline(job)))
	}
	return d, nil
}

// FailRollout is the decision that fails the current version's rollout
// for the given reason (`appmesh deployment fail`), with auto_revert.
func FailRollout(state State, job *structs.Job, why string, sameSpec func(a, b *structs.Job) bool) (*RolloutDecision, error) {
	d := &RolloutDecision{Namespace: job.Namespace, JobID: job.ID, Version: job.Version}
	return d, d.fail(state, job, sameSpec, why)
}

func (d *RolloutDecision) fail(state State, job *structs.Job, sameSpec func(a, b *structs.Job) bool, why string) error {
	d.Failure = why
	return d.pickRevert(state, job, sameSpec)
}

func minProgressDeadline(job *structs.Job) time.Duration {
	var min time.Duration
	for _, tg := range job.Groups {
		if u := structs.GroupUpdate(job, tg); u != nil && u.ProgressDeadline > 0 && (min == 0 || u.ProgressDeadline.Std() < min) {
			min = u.ProgressDeadline.Std()
		}
	}
	return min
}

// firstUnhealthy finds an allocation of the current version that makes
// its update fail: unhealthy, or failed on its node. Only groups with an
// update block take part, as in Nomad's deployments.
func firstUnhealthy(job *structs.Job, allocs []*structs.Allocation) (*structs.Allocation, string) {
	allocs = slices.Clone(allocs)
	slices.SortFunc(allocs, func(a, b *structs.Allocation) int { return strings.Compare(a.Name, b.Name) })
	for _, a := range allocs {
		if a.JobVersion != job.Version || a.DesiredStatus != structs.AllocDesiredRun {
			continue
		}
		tg := job.LookupGroup(a.TaskGroup)
		if tg == nil || structs.GroupUpdate(job, tg) == nil {
			continue
		}
		switch {
		case a.ClientStatus == structs.AllocClientFailed:
			return a, "failed: " + describeAlloc(a)
		case a.Healthy != nil && !*a.Healthy:
			return a, "is unhealthy: " + describeAlloc(a)
		}
	}
	return nil, ""
}

func describeAlloc(a *structs.Allocation) string {
	if a.ClientDescription != "" {
		return a.ClientDescription
	}
	return a.ClientStatus
}

// allHealthy reports whether every group has its count of healthy, running
// allocations of the current version and nothing of another version runs.
func allHealthy(job *structs.Job, allocs []*structs.Allocation) bool {
	healthy := map[string]int{}
	for _, a := range allocs {
		if a.TerminalStatus() {
			continue
		}
		if a.JobVersion != job.Version {
			return false
		}
		if a.ClientStatus == structs.AllocClientRunning && a.Healthy != nil && *a.Healthy {
			healthy[a.TaskGroup]++
		}
	}
	for _, tg := range job.Groups {
		if healthy[tg.Name] < tg.Count {
			return false
		}
	}
	return true
}

// pickRevert sets RevertTo when a group asks for auto_revert and a stable
// older version with a different specification exists; otherwise it says
// in the failure why nothing was reverted.
func (d *RolloutDecision) pickRevert(state State, job *structs.Job, sameSpec func(a, b *structs.Job) bool) error {
	if !wantsAutoRevert(job) {
		return nil
	}
	for back := uint64(1); back <= maxRevertLookback && back <= job.Version; back++ {
		old, err := state.JobByIDAndVersion(job.Namespace, job.ID, job.Version-back)
		if err != nil {
			return fmt.Errorf("read version %d of job %q: %w", job.Version-back, job.ID, err)
		}
		if old == nil || !old.Stable || old.Stop {
			continue
		}
		if sameSpec != nil && sameSpec(old, job) {
			d.Failure += fmt.Sprintf("; not reverted: the latest stable version %d has the same specification", old.Version)
			return nil
		}
		d.RevertTo = old
		d.Failure += fmt.Sprintf("; reverting to stable version %d", old.Version)
		return nil
	}
	d.Failure += "; not reverted: no stable version to go back to"
	return nil
}

func wantsAutoRevert(job *structs.Job) bool {
	for _, tg := range job.Groups {
		if u := structs.GroupUpdate(job, tg); u != nil && u.AutoRevert {
			return true
		}
	}
	return false
}

// updateHalted reports whether the rollout of the job's current version
// must not replace more allocations of the group: the servers recorded the
// update as failed, or an allocation of the current version already turned
// unhealthy or failed (before the leader recorded it).
func updateHalted(job *structs.Job, tg *structs.TaskGroup, allocs []*structs.Allocation) bool {
	if job.UpdateFailure != "" {
		return true
	}
	if job.Stable {
		return false
	}
	for _, a := range allocs {
		if a.JobVersion != job.Version || a.DesiredStatus != structs.AllocDesiredRun || a.TaskGroup != tg.Name {
			continue
		}
		if a.ClientStatus == structs.AllocClientFailed || (a.Healthy != nil && !*a.Healthy) {
			return true
		}
	}
	return false
}
