package scheduler

import (
	"github.com/appmesh/appmesh/structs"
)

// staggerWait applies update.stagger to a rolling update: a batch of
// replacements may start only stagger after the previous batch was
// placed (on top of max_parallel and health). It reports true while the
// group must wait, and asks for a delayed evaluation at the end of the
// wait.
func (r *reconciler) staggerWait(tg *structs.TaskGroup, allocs []*structs.Allocation, res *reconcileResult) bool {
	u := structs.GroupUpdate(r.job, tg)
	if !u.Rolling() || u.Stagger <= 0 {
		return false
	}
	var last int64
	for _, a := range allocs {
		// Replacements of this version made by the update (canaries and
		// first placements have nothing to pace against).
		if a.TaskGroup == tg.Name && a.JobVersion == r.job.Version && a.PreviousAllocation != "" && !a.Canary {
			last = max(last, a.CreateTime)
		}
	}
	if last == 0 {
		return false
	}
	next := last + int64(u.Stagger)
	if r.now.UnixNano() >= next {
		return false
	}
	if res.rescheduleAt == 0 || next < res.rescheduleAt {
		res.rescheduleAt = next
	}
	return true
}
