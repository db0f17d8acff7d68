package scheduler

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/appmesh/appmesh/structs"
)

// descInPlace is the evaluation-facing name of an in-place update.
const descInPlace = "updated in place"

// loadVersions reads the job versions that live allocations still run, so
// the reconciler can tell in-place from destructive updates. Versions that
// were dropped are simply missing (their allocations are replaced).
func loadVersions(state State, job *structs.Job, allocs []*structs.Allocation) (map[uint64]*structs.Job, error) {
	if job == nil {
		return nil, nil
	}
	out := map[uint64]*structs.Job{}
	for _, a := range allocs {
		if a.TerminalStatus() || a.JobVersion == job.Version {
			continue
		}
		if _, done := out[a.JobVersion]; done {
			continue
		}
		old, err := state.JobByIDAndVersion(job.Namespace, job.ID, a.JobVersion)
		if err != nil {
			return nil, fmt.Errorf("read version %d of job %q: %w", a.JobVersion, job.ID, err)
		}
		out[a.JobVersion] = old // may be nil
	}
	return out, nil
}

// updateInPlace reports whether an allocation of an older version can take
// the current version without being restarted: only fields that do not
// change what runs where differ (count, meta, priority, update, affinity,
// spread).
func (r *reconciler) updateInPlace(a *structs.Allocation, tg *structs.TaskGroup) bool {
	old := r.versions[a.JobVersion]
	if old == nil {
		return false
	}
	oldTG := old.LookupGroup(tg.Name)
	if oldTG == nil {
		return false
	}
	return !destructiveChange(old, oldTG, r.job, tg)
}

// destructiveChange reports whether moving a group from (oldJob, oldTG) to
// (job, tg) needs new allocations.
func destructiveChange(oldJob *structs.Job, oldTG *structs.TaskGroup, job *structs.Job, tg *structs.TaskGroup) bool {
	switch {
	case oldJob.Type != job.Type:
		return true
	case !slices.Equal(oldJob.Datacenters, job.Datacenters):
		return true
	case !constraintsEqual(oldJob.Constraints, job.Constraints), !constraintsEqual(oldTG.Constraints, tg.Constraints):
		return true
	case !reflect.DeepEqual(oldTG.Network, tg.Network):
		return true
	case !reflect.DeepEqual(oldTG.Volumes, tg.Volumes), !reflect.DeepEqual(oldTG.EphemeralDisk, tg.EphemeralDisk):
		// A volume or disk change may need another node and a new mount.
		return true
	case len(oldTG.Tasks) != len(tg.Tasks):
		return true
	case !reflect.DeepEqual(oldTG.ConnectBlocks(), tg.ConnectBlocks()):
		// The tasks' upstream variables and the sidecar proxy come from
		// the connect blocks: as in Nomad, a change replaces the
		// allocation.
		return true
	}
	for i, t := range tg.Tasks {
		if !reflect.DeepEqual(oldTG.Tasks[i], t) {
			return true
		}
	}
	return false
}

func constraintsEqual(a, b []*structs.Constraint) bool {
	return slices.EqualFunc(a, b, func(x, y *structs.Constraint) bool {
		return x == y || (x != nil && y != nil && *x == *y)
	})
}

// rollingBudget returns how many destructive replacements this evaluation
// may start for a group: max_parallel minus the replacements that are not
// done yet, or -1 for no limit. A replacement is done when it runs and,
// if the group has health checks or a min_healthy_time, when its client
// reports it healthy: health gates the rollout. A halted update (an
// unhealthy or failed allocation of the new version) gets no budget.
func (r *reconciler) rollingBudget(tg *structs.TaskGroup, live map[int]*structs.Allocation, all []*structs.Allocation) int {
	u := structs.GroupUpdate(r.job, tg)
	if u != nil && updateHalted(r.job, tg, all) {
		return 0
	}
	if !u.Rolling() {
		return -1
	}
	checked := structs.DeploymentChecks(tg) > 0 || u.MinHealthyTime > 0 || u.HealthCheck == structs.UpdateHealthManual
	inFlight := 0
	for _, a := range live {
		if a.JobVersion != r.job.Version || a.PreviousAllocation == "" {
			continue
		}
		healthy := !checked || (a.Healthy != nil && *a.Healthy)
		if a.ClientStatus != structs.AllocClientRunning || !healthy {
			inFlight++
		}
	}
	return max(u.MaxParallel-inFlight, 0)
}

// inPlaceCopy is the allocation moved to the job's current version.
func inPlaceCopy(a *structs.Allocation, job *structs.Job, evalID string, now int64) *structs.Allocation {
	c := a.Copy()
	c.JobVersion = job.Version
	c.EvalID = evalID
	c.ModifyTime = now
	return c
}

// annotate summarises the reconciler's decisions per group; placements
// that find no node are added as Unplaced later.
func annotate(res *reconcileResult) *structs.PlanAnnotations {
	ann := &structs.PlanAnnotations{}
	for _, st := range res.stops {
		ann.Group(st.alloc.TaskGroup).Stop++
	}
	for _, a := range res.inPlace {
		ann.Group(a.TaskGroup).InPlaceUpdate++
	}
	for _, pl := range res.places {
		g := ann.Group(pl.group.Name)
		switch {
		case pl.canary:
			g.Canary++
		case pl.stopPrevious:
			g.Destructive++
		default:
			g.Place++
		}
	}
	if res.deferred > 0 {
		for _, pl := range res.deferredGroups {
			ann.Group(pl).Deferred++
		}
	}
	return ann
}
