package scheduler

import (
	"slices"
	"strings"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// Desired descriptions written on stopped allocations.
const (
	descJobStopped      = "job stopped"
	descJobDeregistered = "job deregistered"
	descGroupRemoved    = "alloc not needed: group removed from job"
	descScaledDown      = "alloc not needed: group count lowered"
	descDuplicate       = "alloc not needed: another allocation has the same name"
	descNodeDown        = "alloc lost: node is down"
	descNodeMissing     = "alloc lost: node no longer exists"
	descNodeDraining    = "alloc migrated: node is draining"
	descUpdated         = "alloc replaced: job was updated"
)

// stopRequest asks the plan to stop an allocation.
type stopRequest struct {
	alloc        *structs.Allocation
	desc         string
	clientStatus string // "" keeps the allocation's client status
}

// placeRequest asks for one new allocation at a name index.
type placeRequest struct {
	group    *structs.TaskGroup
	index    int
	previous *structs.Allocation // the allocation this one replaces, if any
	// stopPrevious marks a destructive update: previous still runs and is
	// stopped only if its replacement finds a node, so that a job update
	// that does not fit leaves the old version running.
	stopPrevious bool
	// canary places the allocation as a canary of the job's version, next
	// to the old allocation at its index (canary.go).
	canary bool
	// drain marks the replacement of an allocation moved off a draining
	// node: its health paces the drain (drain_migrate.go).
	drain bool
}

type reconcileResult struct {
	// rescheduled maps each failed allocation replaced now to the delay
	// its reschedule policy asked for; rescheduleAt (unix nanoseconds) is
	// the earliest time a failed allocation may be replaced later (0: none).
	rescheduled  map[string]time.Duration
	rescheduleAt int64

	stops  []stopRequest
	places []placeRequest
	// inPlace: live allocations that move to the current version without
	// a restart.
	inPlace []*structs.Allocation
	// deferred counts destructive updates left for a later evaluation by
	// a rolling update's max_parallel.
	deferred       int
	deferredGroups []string // one entry per deferred update
	// drainWaiting counts allocations on draining nodes left in place by
	// their group's migrate.max_parallel.
	drainWaiting int
}

// nodeTaint says why allocations on a node must be replaced ("" if they
// need not).
type nodeTaint func(nodeID string) (desc string)

// reconciler compares a job's desired state with its allocations.
type reconciler struct {
	job     *structs.Job // nil when the job was deregistered
	batch   bool
	tainted nodeTaint
	// drainForced reports draining nodes past their deadline (nil: none).
	drainForced func(nodeID string) bool
	// versions are the older job versions that live allocations run
	// (nil entries: dropped versions).
	versions map[uint64]*structs.Job
	// now is the time reschedule delays are measured against.
	now time.Time
}

func (r *reconciler) reconcile(allocs []*structs.Allocation) *reconcileResult {
	res := &reconcileResult{}
	if r.job.Stopped() {
		desc := descJobDeregistered
		if r.job != nil {
			desc = descJobStopped
		}
		for _, a := range allocs {
			if !a.TerminalStatus() {
				res.stops = append(res.stops, stopRequest{alloc: a, desc: desc})
			}
		}
		return res
	}
	// Sorted so that the plan does not depend on the state's return order.
	allocs = slices.Clone(allocs)
	slices.SortFunc(allocs, func(a, b *structs.Allocation) int { return strings.Compare(a.ID, b.ID) })
	byGroup := map[string][]*structs.Allocation{}
	for _, a := range allocs {
		if r.job.LookupGroup(a.TaskGroup) == nil {
			if !a.TerminalStatus() {
				res.stops = append(res.stops, stopRequest{alloc: a, desc: descGroupRemoved})
			}
			continue
		}
		byGroup[a.TaskGroup] = append(byGroup[a.TaskGroup], a)
	}
	for _, tg := range r.job.Groups {
		r.reconcileGroup(tg, byGroup[tg.Name], res)
	}
	return res
}

// groupSlots sorts a group's allocations by name index.
type groupSlots struct {
	// live: running or pending allocations on healthy nodes.
	live map[int]*structs.Allocation
	// settled: terminal allocations that keep their index: completed batch
	// work, and failed allocations of the current job version that are not
	// rescheduled (yet): see reschedule.go.
	settled map[int]*structs.Allocation
	// failed: the newest failed allocation of the current job version per
	// index, before the reschedule policy sorts it into replace or settled.
	failed map[int]*structs.Allocation
	// replace: allocations whose index is free again and that a new
	// placement should name as its predecessor (lost ones, failed ones of
	// an older job version, service allocations that completed).
	replace map[int]*structs.Allocation
	// canaries: live canaries of the current version before it is
	// promoted; they hold no index of their own (canary.go).
	canaries map[int]*structs.Allocation
	// drained: indexes whose allocation moves off a draining node now;
	// drainBudget: how many more may move (-1: any), see drain_migrate.go.
	drained     map[int]bool
	drainBudget int
}

func (r *reconciler) reconcileGroup(tg *structs.TaskGroup, allocs []*structs.Allocation, res *reconcileResult) {
	s := r.classify(tg, allocs, res)
	// A live allocation owns its index over any terminal one.
	for idx := range s.live {
		delete(s.settled, idx)
		delete(s.replace, idx)
	}
	for idx := range s.settled {
		delete(s.replace, idx)
	}
	occupied := len(s.live) + len(s.settled)

	// Scale down: stop the highest indexes first.
	liveIdx := sortedKeys(s.live)
	for i := len(liveIdx) - 1; i >= 0 && occupied > tg.Count; i-- {
		res.stops = append(res.stops, stopRequest{alloc: s.live[liveIdx[i]], desc: descScaledDown})
		delete(s.live, liveIdx[i])
		occupied--
	}

	// A destructive update with canaries first places them next to the
	// old allocations and waits for the promotion.
	if r.canaryPhase(tg, s) {
		r.placeCanaries(tg, s, allocs, res)
		r.fillFreeSlots(tg, s, tg.Count-occupied, res)
		return
	}

	// Allocations of another job version are updated in place when only
	// non-destructive fields changed, and replaced one for one otherwise,
	// at most max_parallel at a time under a rolling update.
	budget := r.rollingBudget(tg, s.live, allocs)
	if budget != 0 && r.staggerWait(tg, allocs, res) {
		budget = 0
	}
	for _, idx := range sortedKeys(s.live) {
		a := s.live[idx]
		switch {
		case a.JobVersion == r.job.Version:
		case r.updateInPlace(a, tg):
			res.inPlace = append(res.inPlace, a)
		case budget == 0:
			res.deferred++
			res.deferredGroups = append(res.deferredGroups, tg.Name)
		default:
			budget--
			res.places = append(res.places, placeRequest{group: tg, index: idx, previous: a, stopPrevious: true})
		}
	}

	r.fillFreeSlots(tg, s, tg.Count-occupied, res)
}

// fillFreeSlots places `free` new allocations: first at indexes whose
// previous allocation must be replaced, then at the lowest unused indexes.
func (r *reconciler) fillFreeSlots(tg *structs.TaskGroup, s *groupSlots, free int, res *reconcileResult) {
	taken := map[int]bool{}
	for idx := range s.live {
		taken[idx] = true
	}
	for idx := range s.settled {
		taken[idx] = true
	}
	for _, idx := range sortedKeys(s.replace) {
		if free == 0 || idx >= tg.Count {
			break
		}
		res.places = append(res.places, placeRequest{group: tg, index: idx, previous: s.replace[idx], drain: s.drained[idx]})
		taken[idx] = true
		free--
	}
	for idx := 0; free > 0; idx++ {
		if taken[idx] {
			continue
		}
		res.places = append(res.places, placeRequest{group: tg, index: idx})
		free--
	}
}

// classify buckets a group's allocations, stopping those on lost nodes and
// duplicates of one name along the way.
func (r *reconciler) classify(tg *structs.TaskGroup, allocs []*structs.Allocation, res *reconcileResult) *groupSlots {
	s := &groupSlots{
		live:     map[int]*structs.Allocation{},
		settled:  map[int]*structs.Allocation{},
		replace:  map[int]*structs.Allocation{},
		failed:   map[int]*structs.Allocation{},
		canaries: map[int]*structs.Allocation{},
		drained:  map[int]bool{},
	}
	s.drainBudget = r.drainBudget(tg, allocs)
	for _, a := range allocs {
		idx := a.Index()
		switch {
		case r.unpromotedCanary(a):
			if a.TerminalStatus() {
				break
			}
			if desc := r.tainted(a.NodeID); desc != "" {
				lost := structs.AllocClientLost
				if desc == descNodeDraining {
					lost = ""
				}
				res.stops = append(res.stops, stopRequest{alloc: a, desc: desc, clientStatus: lost})
				break
			}
			keepNewest(s.canaries, idx, a)
			// A canary that ended is not replaced at its index: the
			// canary count is topped up (placeCanaries), and a failed one
			// fails the update (rollout.go).
		case !a.TerminalStatus():
			if desc := r.tainted(a.NodeID); desc == descNodeDown && r.keepUnknown(tg, a, s, res) {
				continue
			}
			if desc := r.tainted(a.NodeID); desc == descNodeDraining && !r.mayMigrate(a, s, res) {
				if _, taken := s.live[idx]; !taken {
					s.live[idx] = a
				}
				continue
			}
			if desc := r.tainted(a.NodeID); desc != "" {
				lost := structs.AllocClientLost
				if desc == descNodeDraining {
					lost = "" // moved on purpose: its client stops it normally
					s.drained[idx] = true
				}
				res.stops = append(res.stops, stopRequest{alloc: a, desc: desc, clientStatus: lost})
				keepNewest(s.replace, idx, a)
				continue
			}
			if cur, ok := s.live[idx]; ok {
				keep, drop, desc := r.reconnected(tg, cur, a)
				if keep == nil {
					keep, drop = r.preferred(cur, a)
					desc = duplicateDesc(keep, drop)
				}
				s.live[idx] = keep
				res.stops = append(res.stops, stopRequest{alloc: drop, desc: desc})
				continue
			}
			s.live[idx] = a
		case a.DesiredStatus == structs.AllocDesiredStop:
			// Stopped on purpose; whatever replaced it is live already.
		case a.ClientStatus == structs.AllocClientComplete && r.batch:
			keepNewest(s.settled, idx, a) // batch work done, whatever its version
		case a.ClientStatus == structs.AllocClientFailed && a.JobVersion == r.job.Version:
			keepNewest(s.failed, idx, a)
		default:
			// Lost, failed under an older version, or a service that exited.
			keepNewest(s.replace, idx, a)
		}
	}
	r.sortFailed(s, res)
	return s
}

// preferred picks which of two live allocations with one name to keep:
// the current job version, then the newer one.
func (r *reconciler) preferred(a, b *structs.Allocation) (keep, drop *structs.Allocation) {
	av, bv := a.JobVersion == r.job.Version, b.JobVersion == r.job.Version
	if av != bv {
		if av {
			return a, b
		}
		return b, a
	}
	// Two older versions: a canary that was never promoted gives way to
	// the allocation it stood next to (the update was reverted or
	// replaced by another one).
	if a.Canary != b.Canary {
		if b.Canary {
			return a, b
		}
		return b, a
	}
	if newer(b, a) {
		return b, a
	}
	return a, b
}

func keepNewest(m map[int]*structs.Allocation, idx int, a *structs.Allocation) {
	if cur, ok := m[idx]; !ok || newer(a, cur) {
		m[idx] = a
	}
}

// newer orders allocations by creation, with the ID as a stable tie-break.
func newer(a, b *structs.Allocation) bool {
	if a.CreateIndex != b.CreateIndex {
		return a.CreateIndex > b.CreateIndex
	}
	if a.CreateTime != b.CreateTime {
		return a.CreateTime > b.CreateTime
	}
	return strings.Compare(a.ID, b.ID) > 0
}

func sortedKeys(m map[int]*structs.Allocation) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
