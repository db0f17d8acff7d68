package scheduler

import "github.com/appmesh/appmesh/structs"

// Canaries (update { canary = N }): a destructive update of a group first
// places N allocations of the new version next to the old ones, which keep
// running. Canaries are marked on the allocation (Allocation.Canary) and
// hold no index of their own until the version is promoted
// (Job.Promoted, by `appmesh job promote` or auto_promote on the leader,
// rollout.go). After the promotion each canary takes the index it was
// named after, the old allocation there is stopped, and the rolling update
// replaces the rest by max_parallel: the canaries count as updated.

// Desired descriptions of allocations stopped around canaries.
const (
	descCanaryPromoted = "alloc replaced: canary promoted"
	descCanaryAbandon  = "alloc not needed: canary of an update that was not promoted"
)

// unpromotedCanary reports whether a is a canary of the current version
// that still waits for the promotion.
func (r *reconciler) unpromotedCanary(a *structs.Allocation) bool {
	return a.Canary && a.JobVersion == r.job.Version && !r.job.Promoted
}

// canaryPhase reports whether the group is in the canary phase of its
// update: it asks for canaries, the version is not promoted, and either
// canaries exist already or a live allocation of an older version needs a
// destructive update. A new job, or an update that only changes fields in
// place, has no canary phase.
func (r *reconciler) canaryPhase(tg *structs.TaskGroup, s *groupSlots) bool {
	if r.job.Promoted || structs.GroupUpdate(r.job, tg).Canaries() == 0 {
		return false
	}
	if len(s.canaries) > 0 {
		return true
	}
	for _, a := range s.live {
		if a.JobVersion != r.job.Version && !r.updateInPlace(a, tg) {
			return true
		}
	}
	return false
}

// placeCanaries tops the group's canaries up to its canary count, unless
// the update is halted (a canary failed), and leaves the old allocations
// running: those that need a destructive update wait for the promotion.
func (r *reconciler) placeCanaries(tg *structs.TaskGroup, s *groupSlots, all []*structs.Allocation, res *reconcileResult) {
	for _, idx := range sortedKeys(s.live) {
		a := s.live[idx]
		switch {
		case a.JobVersion == r.job.Version:
		case r.updateInPlace(a, tg):
			res.inPlace = append(res.inPlace, a)
		default:
			res.deferred++
			res.deferredGroups = append(res.deferredGroups, tg.Name)
		}
	}
	if updateHalted(r.job, tg, all) {
		return
	}
	want := structs.GroupUpdate(r.job, tg).Canaries() - len(s.canaries)
	for idx := 0; want > 0; idx++ {
		if _, taken := s.canaries[idx]; taken {
			continue
		}
		res.places = append(res.places, placeRequest{group: tg, index: idx, canary: true})
		want--
	}
}

// duplicateDesc says why drop, one of two live allocations with one name,
// is stopped in favour of keep.
func duplicateDesc(keep, drop *structs.Allocation) string {
	switch {
	case keep.Canary && !drop.Canary && keep.JobVersion != drop.JobVersion:
		return descCanaryPromoted
	case drop.Canary && !keep.Canary:
		return descCanaryAbandon
	}
	return descDuplicate
}
