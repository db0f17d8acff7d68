package command

import (
	"fmt"
	"strings"
	"time"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
)

// rolloutKV is what `job status` says about the current version's rollout,
// the failed update it replaced (an automatic revert), and the reschedules
// waiting for their delay. versions may be nil.
func rolloutKV(job *structs.Job, evals []*structs.Evaluation, versions []*structs.Job) []string {
	kv := []string{"Stable", fmt.Sprint(job.Stable)}
	if job.UpdateFailure != "" {
		kv = append(kv, "Update", job.UpdateFailure)
	} else if f := replacedFailure(job, versions); f != nil {
		kv = append(kv, "Failed Update", f.UpdateFailure)
	}
	if at := nextReschedule(evals); at > 0 {
		kv = append(kv, "Next Reschedule", formatTime(at))
	}
	return kv
}

// nextReschedule is the earliest WaitUntil of the job's pending delayed
// evaluations (0: none).
func nextReschedule(evals []*structs.Evaluation) int64 {
	var at int64
	for _, e := range evals {
		if e.Status == structs.EvalStatusPending && e.WaitUntil > 0 && (at == 0 || e.WaitUntil < at) {
			at = e.WaitUntil
		}
	}
	return at
}

// rescheduleKV is what `alloc status` says about an allocation's
// reschedules: the attempts behind it and, for a failed allocation that
// waits for its delay, when the next one is due.
func rescheduleKV(client *api.Client, alloc *structs.Allocation) []string {
	var kv []string
	if alloc.PreviousAllocation != "" {
		kv = append(kv, "Previous Allocation", structs.ShortID(alloc.PreviousAllocation))
	}
	if t := alloc.RescheduleTracker; t != nil && len(t.Events) > 0 {
		last := t.Events[len(t.Events)-1]
		kv = append(kv, "Reschedule Attempts", fmt.Sprintf("%d (last at %s, from node %s after %s)",
			len(t.Events), formatTime(last.RescheduleTime), structs.ShortID(last.PrevNodeID), last.Delay.Std()))
	}
	if alloc.ClientStatus != structs.AllocClientFailed || alloc.DesiredStatus != structs.AllocDesiredRun {
		return kv
	}
	evals, _, err := client.Jobs().Evaluations(alloc.JobID, nil)
	if err != nil {
		return append(kv, "Next Reschedule", "unknown: "+err.Error())
	}
	if at := nextReschedule(evals); at > 0 {
		return append(kv, "Next Reschedule", formatTime(at))
	}
	if why := notRescheduled(client, alloc); why != "" {
		kv = append(kv, "Reschedule", "none: "+why)
	}
	return kv
}

// notRescheduled says why a failed allocation of the current job version
// will not be replaced ("" when it will or when that cannot be told).
func notRescheduled(client *api.Client, alloc *structs.Allocation) string {
	job, _, err := client.Jobs().Info(alloc.JobID, nil)
	if err != nil || job == nil || job.Version != alloc.JobVersion {
		return ""
	}
	tg := job.LookupGroup(alloc.TaskGroup)
	if tg == nil {
		return ""
	}
	if ok, why := structs.EffectiveReschedulePolicy(job, tg).RescheduleEligible(alloc.RescheduleTracker, time.Now()); !ok {
		return why
	}
	return ""
}

// stableText marks stable versions in `job history`.
func stableText(v *structs.Job) string {
	s := fmt.Sprint(v.Stable)
	if v.UpdateFailure != "" {
		s += " (update failed)"
	}
	return strings.TrimSpace(s)
}

// replacedFailure finds the failed version the current one replaced: the
// newest older version with an update failure, unless a stable version
// came after it. versions are newest first.
func replacedFailure(job *structs.Job, versions []*structs.Job) *structs.Job {
	for _, v := range versions {
		switch {
		case v.Version >= job.Version:
		case v.UpdateFailure != "":
			return v
		case v.Stable:
			return nil
		}
	}
	return nil
}
