package structs

import "time"

// AllocDescMaxRunDuration is the client description of an allocation
// whose tasks were stopped because the group's max_run_duration was up.
// As in Nomad, such an allocation ends complete, not failed: the limit is
// what the job asked for, so it is not rescheduled.
const AllocDescMaxRunDuration = "allocation exceeded max_run_duration"

// RunLimit is the group's max_run_duration; 0: none.
func (g *TaskGroup) RunLimit() time.Duration {
	if g == nil || g.MaxRunDuration == nil {
		return 0
	}
	return g.MaxRunDuration.Std()
}

// validateMaxRunDuration: positive, and only on batch and sysbatch jobs
// (Nomad refuses it elsewhere: a service is meant to keep running).
func validateMaxRunDuration(v *ValidationError, job *Job, g *TaskGroup) {
	if g.MaxRunDuration == nil {
		return
	}
	if *g.MaxRunDuration <= 0 {
		v.Add("", "max_run_duration must be positive (got %s)", g.MaxRunDuration.Std())
	}
	if job != nil && !job.IsBatchLike() {
		v.Add("", "max_run_duration applies only to batch and sysbatch jobs (this job's type is %q)", job.Type)
	}
}
