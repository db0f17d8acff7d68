package allocrunner

import (
	"time"

	"github.com/appmesh/appmesh/client/taskrunner"
	"github.com/appmesh/appmesh/structs"
)

// startRunLimit arms the group's max_run_duration timer, counted from when
// this runner starts the allocation (image pulls and prestart tasks count,
// as in Nomad). A runner re-attaching after an agent restart counts from
// the earliest (last) task start it restored, so a restart grants no extra time.
// It returns the function that disarms the timer.
func (ar *AllocRunner) startRunLimit(now time.Time) (stop func()) {
	limit := ar.job.LookupGroup(ar.groupName).RunLimit()
	if limit <= 0 {
		return func() {}
	}
	start := now
	for _, s := range ar.taskStates() {
		if s != nil && s.StartedAt > 0 && time.Unix(0, s.StartedAt).Before(start) {
			start = time.Unix(0, s.StartedAt)
		}
	}
	remaining := time.Until(start.Add(limit))
	if remaining < 0 {
		remaining = 0
	}
	ar.logger.Debug("max_run_duration armed", "limit", limit, "remaining", remaining)
	t := time.AfterFunc(remaining, func() { ar.runLimitReached(limit) })
	return func() { t.Stop() }
}

// runLimitReached records the reason on every task still alive and kills
// them all, poststop tasks included (those not yet started never start:
// the allocation's time is up, as Nomad does it).
func (ar *AllocRunner) runLimitReached(limit time.Duration) {
	if ar.killedFlag.Load() {
		return // already being stopped for another reason
	}
	msg := "max_run_duration " + shortDuration(limit) + " exceeded: stopping the task"
	ar.logger.Info("allocation exceeded max_run_duration", "limit", limit)
	ar.runLimitHit.Store(true)
	for _, tr := range ar.tasks {
		if s := tr.State(); s == nil || s.State != structs.TaskStateDead {
			tr.Emit(taskrunner.TaskEventMaxRunDuration, msg)
		}
	}
	ar.KillAll("max_run_duration exceeded")
}

// runLimitDescription gives a complete allocation stopped by its
// max_run_duration Nomad's client description.
func (ar *AllocRunner) runLimitDescription(status, desc string) string {
	if ar.runLimitHit.Load() && status == structs.AllocClientComplete {
		return structs.AllocDescMaxRunDuration
	}
	return desc
}
