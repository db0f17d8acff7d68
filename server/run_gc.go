package server

import (
	"context"
	"fmt"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// DefaultRunGCAfter is how long a finished remote run (`appmesh run`) is
// kept before the leader purges it.
const DefaultRunGCAfter = time.Hour

// gcRuns is a leader duty: it purges finished one-off work, remote run jobs
// (structs.IsRunJob) and the children of periodic and parameterized jobs,
// whose allocations all finished more than Config.RunGCAfter ago, together
// with their allocations and evaluations (a 2-second cron makes 43,000
// children a day; none of them may stay in memory forever).
func (s *Server) gcRuns(ctx context.Context) {
	after := s.config.RunGCAfter
	if after <= 0 {
		after = DefaultRunGCAfter
	}
	every := min(max(after/4, time.Second), time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, k := range s.expiredRuns(time.Now().Add(-after)) {
			if err := s.purgeFinishedJob(k.namespace, k.id); err != nil {
				s.logger.Warn("purging finished one-off work failed", "namespace", k.namespace, "job_id", k.id, "error", err)
				continue
			}
			s.logger.Debug("purged finished one-off work", "namespace", k.namespace, "job_id", k.id)
		}
	}
}

// expiredRuns lists the run jobs whose allocations all ended before cutoff.
// A run without allocations counts from its last change.
func (s *Server) expiredRuns(cutoff time.Time) []jobKey {
	jobs, err := s.State().Jobs(nil)
	if err != nil {
		return nil
	}
	var out []jobKey
	for _, j := range jobs {
		if !structs.IsRunJob(j) && j.ParentID == "" {
			continue
		}
		allocs, err := s.State().AllocsByJob(nil, j.Namespace, j.ID)
		if err != nil {
			continue
		}
		if len(allocs) == 0 {
			if j.Stop && j.SubmitTime != 0 && time.Unix(0, j.SubmitTime).Before(cutoff) {
				out = append(out, jobKey{j.Namespace, j.ID})
			}
			continue
		}
		if runFinishedBefore(allocs, cutoff) {
			out = append(out, jobKey{j.Namespace, j.ID})
		}
	}
	return out
}

func runFinishedBefore(allocs []*structs.Allocation, cutoff time.Time) bool {
	for _, a := range allocs {
		if !a.ClientTerminalStatus() {
			return false
		}
		finished := a.ModifyTime
		for _, ts := range a.TaskStates {
			finished = max(finished, ts.FinishedAt)
		}
		if finished == 0 || !time.Unix(0, finished).Before(cutoff) {
			return false
		}
	}
	return true
}

// purgeFinishedJob purges a finished job (without an evaluation: nothing
// of it runs), then deletes its allocations and evaluations. Should the
// second step fail (leadership lost), the leftovers are logged; they hold
// no resources, as every allocation of the job had finished.
func (s *Server) purgeFinishedJob(ns, id string) error {
	st := s.State()
	allocs, err := st.AllocsByJob(nil, ns, id)
	if err != nil {
		return err
	}
	evals, err := st.EvalsByJob(nil, ns, id)
	if err != nil {
		return err
	}
	purge := &structs.JobDeregisterEntry{Namespace: ns, JobID: id, Purge: true, Time: time.Now().UnixNano()}
	if _, err := s.raftApply(structs.JobDeregisterRequestType, purge); err != nil {
		return fmt.Errorf("purge job %q: %w", id, err)
	}
	del := &structs.EvalDeleteEntry{}
	for _, a := range allocs {
		del.Allocs = append(del.Allocs, a.ID)
	}
	for _, e := range evals {
		del.Evals = append(del.Evals, e.ID)
	}
	if len(del.Allocs)+len(del.Evals) == 0 {
		return nil
	}
	if _, err := s.raftApply(structs.EvalDeleteRequestType, del); err != nil {
		return fmt.Errorf("job %q purged, but deleting its %d allocation(s) and %d evaluation(s) failed: %w",
			id, len(del.Allocs), len(del.Evals), err)
	}
	return nil
}
