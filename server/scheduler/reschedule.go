package scheduler

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// rescheduleWindow: a failed allocation whose reschedule time is this close
// is replaced now rather than by a delayed evaluation a moment later. It is
// small so that even a short delay (tests, "1s") is really waited.
const rescheduleWindow = 100 * time.Millisecond

// sortFailed decides, for the newest failed allocation of the current job
// version at each index, whether it is replaced now (replace), later (a
// delayed evaluation at res.rescheduleAt) or never (settled: the policy
// forbids it or its attempts are used up). An allocation already replaced
// has a live successor at its index, which wins over it anyway.
func (r *reconciler) sortFailed(s *groupSlots, res *reconcileResult) {
	for idx, a := range s.failed {
		if _, live := s.live[idx]; live {
			continue
		}
		at, ok := r.rescheduleTime(a)
		if !ok {
			keepNewest(s.settled, idx, a)
			continue
		}
		if at.Sub(r.now) > rescheduleWindow {
			keepNewest(s.settled, idx, a)
			if res.rescheduleAt == 0 || at.UnixNano() < res.rescheduleAt {
				res.rescheduleAt = at.UnixNano()
			}
			continue
		}
		if cur, ok := s.replace[idx]; ok && newer(cur, a) {
			continue
		}
		s.replace[idx] = a
		if res.rescheduled == nil {
			res.rescheduled = map[string]time.Duration{}
		}
		res.rescheduled[a.ID] = r.policy(a).NextDelay(a.RescheduleTracker)
	}
}

// rescheduleTime is when a failed allocation may be replaced; ok is false
// when its policy does not allow another attempt.
func (r *reconciler) rescheduleTime(a *structs.Allocation) (time.Time, bool) {
	p := r.policy(a)
	if ok, _ := p.RescheduleEligible(a.RescheduleTracker, r.now); !ok {
		return time.Time{}, false
	}
	return time.Unix(0, a.FailedAt()).Add(p.NextDelay(a.RescheduleTracker)), true
}

func (r *reconciler) policy(a *structs.Allocation) *structs.ReschedulePolicy {
	return structs.EffectiveReschedulePolicy(r.job, r.job.LookupGroup(a.TaskGroup))
}

// markReschedule carries the reschedule history over to the replacement
// of a failed allocation.
func markReschedule(alloc *structs.Allocation, req placeRequest, rescheduled map[string]time.Duration, now int64) {
	if req.previous == nil {
		return
	}
	delay, ok := rescheduled[req.previous.ID]
	if !ok {
		return
	}
	alloc.RescheduleTracker = structs.NextTracker(req.previous, delay, now)
}

// avoidNode makes the job anti-affinity count the failed allocation's node
// as if it still held a copy, so that the replacement prefers another node
// (and still lands there when it is the only one that fits). undo reverts it.
func (p *placer) avoidNode(nodeID string) (undo func()) {
	if p.sameJob == nil || nodeID == "" {
		return func() {}
	}
	p.sameJob[nodeID]++
	return func() { p.sameJob[nodeID]-- }
}

// createRescheduleEval writes a delayed evaluation that wakes the job when
// its next failed allocation may be rescheduled, unless a pending delayed
// evaluation already wakes it at or before that time.
func (s *genericScheduler) createRescheduleEval(job *structs.Job, at int64) error {
	if at == 0 || job == nil {
		return nil
	}
	evals, err := s.state.EvalsByJob(job.Namespace, job.ID)
	if err != nil {
		return fmt.Errorf("read evaluations of job %q: %w", job.ID, err)
	}
	for _, e := range evals {
		if e.Status == structs.EvalStatusPending && e.WaitUntil > 0 && e.WaitUntil <= at &&
			e.JobModifyIndex == job.JobModifyIndex && e.ID != s.eval.ID {
			return nil
		}
	}
	now := time.Now().UnixNano()
	eval := &structs.Evaluation{
		ID: structs.GenerateID(), Namespace: job.Namespace, Priority: job.Priority, Type: job.Type,
		TriggeredBy: structs.EvalTriggerReschedule, JobID: job.ID, JobModifyIndex: job.JobModifyIndex,
		Status: structs.EvalStatusPending, PreviousEval: s.eval.ID, WaitUntil: at,
		CreateTime: now, ModifyTime: now,
	}
	if err := s.planner.CreateEval(eval); err != nil {
		return fmt.Errorf("create delayed reschedule evaluation for job %q: %w", job.ID, err)
	}
	s.eval.NextEval = eval.ID
	return nil
}

func prevID(req placeRequest) string {
	if req.previous == nil {
		return ""
	}
	return req.previous.ID
}
