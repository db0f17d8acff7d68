package server

import (
	"time"

	"github.com/appmesh/appmesh/structs"
)

// timeBoundStep evaluates a job once its start_time or end_time has passed
// (the scheduler then places it, or stops its allocations), unless an
// evaluation made at or after that time exists. It returns the next bound
// still ahead (zero: none).
func (r *scheduleRunner) timeBoundStep(job *structs.Job, now time.Time) (time.Time, error) {
	if job.StartTime == "" && job.EndTime == "" {
		return time.Time{}, nil
	}
	if job.Stop {
		return time.Time{}, nil
	}
	start, end := job.TimeBounds()
	var passed, ahead time.Time
	for _, b := range []time.Time{start, end} {
		switch {
		case b.IsZero():
		case !b.After(now):
			passed = b
		case ahead.IsZero():
			ahead = b
		}
	}
	if passed.IsZero() {
		return ahead, nil
	}
	evals, err := r.srv.State().EvalsByJob(nil, job.Namespace, job.ID)
	if err != nil {
		return time.Time{}, err
	}
	for _, e := range evals {
		if e.CreateTime >= passed.UnixNano() {
			return ahead, nil
		}
	}
	eval := newJobEval(job, EvalTriggerTimeBound, now)
	if _, err := r.srv.raftApply(structs.EvalUpdateRequestType, &structs.EvalUpdateEntry{Evals: []*structs.Evaluation{eval}}); err != nil {
		return time.Time{}, err
	}
	r.logger.Info("job time bound passed, evaluating", "job_id", job.ID, "bound", passed)
	return ahead, nil
}
