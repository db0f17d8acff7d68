package server

import (
	"context"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// DefaultRunGCAfter is how long a finished remote run (`appmesh run`) is
// kept before the leader purges it.
const DefaultRunGCAfter = time.Hour

// gcRuns is a leader duty: it purges remote run jobs (structs.IsRunJob)
// whose allocations all finished more than Config.RunGCAfter ago.
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
		for _, id := range s.expiredRuns(time.Now().Add(-after)) {
			req := &structs.JobDeregisterRequest{JobID: id, Purge: true}
			var resp structs.JobDeregisterResponse
			if err := s.RPC(structs.JobDeregisterRPC, req, &resp); err != nil {
				s.logger.Warn("purging a finished run failed", "job_id", id, "error", err)
				continue
			}
			s.logger.Debug("purged a finished run", "job_id", id)
		}
	}
}

// expiredRuns lists the run jobs whose allocations all ended before cutoff.
// A run without allocations counts from its last change.
func (s *Server) expiredRuns(cutoff time.Time) []string {
	jobs, err := s.State().Jobs(nil)
	if err != nil {
		return nil
	}
	var out []string
	for _, j := range jobs {
		if !structs.IsRunJob(j) {
			continue
		}
		allocs, err := s.State().AllocsByJob(nil, j.Namespace, j.ID)
		if err != nil {
			continue
		}
		if len(allocs) == 0 {
			if j.Stop && j.SubmitTime != 0 && time.Unix(0, j.SubmitTime).Before(cutoff) {
				out = append(out, j.ID)
			}
			continue
		}
		if runFinishedBefore(allocs, cutoff) {
			out = append(out, j.ID)
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
