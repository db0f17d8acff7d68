package server

import (
	"fmt"
	"sort"
	"time"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// jobGarbage is what the state holds of one job ID.
type jobGarbage struct {
	key    jobKey
	job    *structs.Job // nil: purged, only leftovers remain
	allocs []*structs.Allocation
	evals  []*structs.Evaluation
}

// collectJobs groups evaluations and allocations by job and decides, per
// job, what may go (see decideJob).
func (s *Server) collectJobs(st *state.StateStore, cut gcCutoffs, b *gcBatcher) error {
	groups, err := groupByJob(st)
	if err != nil {
		return err
	}
	gone := nodeGoneLookup(st)
	for _, g := range groups {
		var ids gcPick
		ids.decideJob(g, cut, gone)
		if err := ids.addTo(b); err != nil {
			return err
		}
	}
	return nil
}

// groupByJob reads every job, evaluation and allocation once, in a fixed
// order (namespace, job ID).
func groupByJob(st *state.StateStore) ([]*jobGarbage, error) {
	byKey := map[jobKey]*jobGarbage{}
	get := func(ns, id string) *jobGarbage {
		k := jobKey{ns, id}
		g := byKey[k]
		if g == nil {
			g = &jobGarbage{key: k}
			byKey[k] = g
		}
		return g
	}
	jobs, err := st.Jobs(nil)
	if err != nil {
		return nil, fmt.Errorf("gc: %w", err)
	}
	for _, j := range jobs {
		get(j.Namespace, j.ID).job = j
	}
	evals, err := st.Evals(nil)
	if err != nil {
		return nil, fmt.Errorf("gc: %w", err)
	}
	for _, e := range evals {
		g := get(e.Namespace, e.JobID)
		g.evals = append(g.evals, e)
	}
	allocs, err := st.Allocs(nil)
	if err != nil {
		return nil, fmt.Errorf("gc: %w", err)
	}
	for _, a := range allocs {
		g := get(a.Namespace, a.JobID)
		g.allocs = append(g.allocs, a)
	}
	out := make([]*jobGarbage, 0, len(byKey))
	for _, g := range byKey {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].key.namespace != out[j].key.namespace {
			return out[i].key.namespace < out[j].key.namespace
		}
		return out[i].key.id < out[j].key.id
	})
	return out, nil
}

// nodeGoneLookup answers, memoized, whether a node is down or missing.
func nodeGoneLookup(st *state.StateStore) func(string) bool {
	memo := map[string]bool{}
	return func(id string) bool {
		if g, ok := memo[id]; ok {
			return g
		}
		n, err := st.NodeByID(nil, id)
		g := err == nil && (n == nil || n.Status == structs.NodeStatusDown)
		memo[id] = g
		return g
	}
}

// gcPick is what one job gives up. A job collected whole is named in
// every entry that holds some of its objects: the FSM deletes the job in
// the entry that deletes its last object (a batch job left without
// allocations and evaluations would otherwise read as pending), and keeps
// all of them should the job have been registered again meanwhile.
type gcPick struct {
	allocs, evals []string
	job           *structs.GCJobRef
}

func (p *gcPick) addTo(b *gcBatcher) error {
	add := func(fn func(*structs.CoreGCEntry)) error {
		p.nameJob(b.entry)
		return b.add(fn)
	}
	for _, id := range p.allocs {
		if err := add(func(e *structs.CoreGCEntry) { e.Allocs = append(e.Allocs, id) }); err != nil {
			return err
		}
	}
	for _, id := range p.evals {
		if err := add(func(e *structs.CoreGCEntry) { e.Evals = append(e.Evals, id) }); err != nil {
			return err
		}
	}
	if p.job != nil && len(p.allocs)+len(p.evals) == 0 {
		return add(func(*structs.CoreGCEntry) {})
	}
	return nil
}

// nameJob adds the job to the entry unless it is there already (the last
// job named: a job's objects are added one after the other).
func (p *gcPick) nameJob(e *structs.CoreGCEntry) {
	if p.job == nil || len(e.Jobs) > 0 && e.Jobs[len(e.Jobs)-1] == *p.job {
		return
	}
	e.Jobs = append(e.Jobs, *p.job)
}

// decideJob applies the rules, which never give up anything still
// referenced:
//   - a stopped or dead job goes whole (job, evaluations, allocations)
//     once every allocation ended and every evaluation finished, and its
//     last activity is older than the job threshold;
//   - of a purged job, whatever ended before the evaluation threshold;
//   - of a live service or system job, finished evaluations older than
//     the evaluation threshold, with their allocations when all of them
//     ended and were replaced or stopped (a failed allocation waiting for
//     its reschedule is still referenced by it);
//   - of a live batch job, finished evaluations older than the batch
//     evaluation threshold; its allocations stay while the job does, as
//     they are what says its work is done.
func (p *gcPick) decideJob(g *jobGarbage, cut gcCutoffs, gone func(string) bool) {
	switch {
	case g.job == nil:
		p.pickLeftovers(g, cut.eval, gone, func(*structs.Allocation) bool { return true })
	case jobFinished(g, gone) && !lastActivity(g).After(cut.job):
		p.pickAll(g)
	case g.job.IsBatchLike():
		if len(g.allocs) == 0 {
			return // its evaluations are all that says it ran
		}
		for _, e := range g.evals {
			if e.TerminalStatus() && !evalTime(e).After(cut.batchEval) {
				p.evals = append(p.evals, e.ID)
			}
		}
	default:
		replaced := replacedAllocs(g)
		p.pickLeftovers(g, cut.eval, gone, func(a *structs.Allocation) bool {
			return a.DesiredStatus == structs.AllocDesiredStop || replaced[a.ID]
		})
	}
}

// pickLeftovers takes finished evaluations older than cutoff together
// with their allocations when every one of those may go (free says which
// may, beyond having ended), and allocations whose evaluation is gone.
func (p *gcPick) pickLeftovers(g *jobGarbage, cutoff time.Time, gone func(string) bool, free func(*structs.Allocation) bool) {
	ready := func(a *structs.Allocation) bool {
		return state.AllocGCReady(a, gone(a.NodeID)) && free(a) && !allocTime(a).After(cutoff)
	}
	byEval := map[string][]*structs.Allocation{}
	for _, a := range g.allocs {
		byEval[a.EvalID] = append(byEval[a.EvalID], a)
	}
	for _, e := range g.evals {
		allocs := byEval[e.ID]
		delete(byEval, e.ID)
		if !e.TerminalStatus() || evalTime(e).After(cutoff) {
			continue
		}
		keep := false
		for _, a := range allocs {
			keep = keep || !ready(a)
		}
		if keep {
			continue
		}
		p.evals = append(p.evals, e.ID)
		for _, a := range allocs {
			p.allocs = append(p.allocs, a.ID)
		}
	}
	for _, allocs := range byEval { // their evaluation was collected earlier
		for _, a := range allocs {
			if ready(a) {
				p.allocs = append(p.allocs, a.ID)
			}
		}
	}
	sort.Strings(p.allocs)
}

func (p *gcPick) pickAll(g *jobGarbage) {
	for _, a := range g.allocs {
		p.allocs = append(p.allocs, a.ID)
	}
	for _, e := range g.evals {
		p.evals = append(p.evals, e.ID)
	}
	p.job = &structs.GCJobRef{Namespace: g.key.namespace, ID: g.key.id}
}

// jobFinished: stopped or dead, every allocation ended, every evaluation
// finished. A periodic or parameterized parent counts only when stopped.
func jobFinished(g *jobGarbage, gone func(string) bool) bool {
	j := g.job
	if !j.Stop && (j.Status != structs.JobStatusDead || j.IsParent()) {
		return false
	}
	for _, a := range g.allocs {
		if !state.AllocGCReady(a, gone(a.NodeID)) {
			return false
		}
	}
	for _, e := range g.evals {
		if !e.TerminalStatus() {
			return false
		}
	}
	return true
}

// lastActivity is the latest change of the job, its allocations and its
// evaluations.
func lastActivity(g *jobGarbage) time.Time {
	last := time.Unix(0, g.job.SubmitTime)
	for _, a := range g.allocs {
		last = maxTime(last, allocTime(a))
	}
	for _, e := range g.evals {
		last = maxTime(last, evalTime(e))
	}
	return last
}

// replacedAllocs are the allocations of a live job that a newer one with
// the same name (and, for system jobs, on the same node) took over.
func replacedAllocs(g *jobGarbage) map[string]bool {
	newest := map[string]*structs.Allocation{}
	slot := func(a *structs.Allocation) string {
		if g.job.Type == structs.JobTypeSystem || g.job.Type == structs.JobTypeSysBatch {
			return a.Name + "@" + a.NodeID
		}
		return a.Name
	}
	for _, a := range g.allocs {
		if cur := newest[slot(a)]; cur == nil || a.CreateIndex > cur.CreateIndex {
			newest[slot(a)] = a
		}
	}
	out := map[string]bool{}
	for _, a := range g.allocs {
		if newest[slot(a)] != a {
			out[a.ID] = true
		}
	}
	return out
}

// allocTime is when an allocation last changed or its last task ended.
func allocTime(a *structs.Allocation) time.Time {
	t := max(a.ModifyTime, a.CreateTime)
	for _, ts := range a.TaskStates {
		if ts != nil {
			t = max(t, ts.FinishedAt)
		}
	}
	return time.Unix(0, t)
}

func evalTime(e *structs.Evaluation) time.Time { return time.Unix(0, max(e.ModifyTime, e.CreateTime)) }

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
