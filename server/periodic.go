package server

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-memdb"
)

// EvalTriggerPeriodicJob marks the evaluation of a periodic child.
const EvalTriggerPeriodicJob = "periodic-job"

// EvalTriggerDispatch marks the evaluation of a dispatched child.
const EvalTriggerDispatch = "dispatch-job"

// EvalTriggerTimeBound marks the evaluation made when a job's start_time
// or end_time passes.
const EvalTriggerTimeBound = "time-bound"

// lateAfter is how long after its tick a launch counts as late even when
// this leader was in charge at the tick.
const lateAfter = 2 * time.Second

// maxScheduleWait bounds the dispatcher's sleep, so that clock jumps are
// noticed.
const maxScheduleWait = time.Minute

// scheduleRunner is the leader's duty for schedules: periodic launches,
// the max_concurrent dispatch queue and start_time/end_time evaluations.
// Its only state is a queue of jobs by their next due time
// (schedule_queue.go), rebuilt from the state store when leadership is
// gained; every launch is recorded through Raft, so a new leader resumes
// exactly.
type scheduleRunner struct {
	srv    *Server
	logger hclog.Logger
	now    func() time.Time
	// leaderSince is when this server became leader: a tick before it that
	// was not recorded was missed during a failover and is launched late.
	leaderSince time.Time
	queue       dueQueue
	// steps counts job steps (for tests: a change must cost a few, not
	// one per job).
	steps int
}

func newScheduleRunner(s *Server, now func() time.Time) *scheduleRunner {
	return &scheduleRunner{srv: s, logger: s.logger.Named("periodic"), now: now, leaderSince: now(), queue: newDueQueue()}
}

// minPassGap spaces the rounds out when jobs change often, so that churn
// costs little CPU.
const minPassGap = 20 * time.Millisecond

// pass steps every job (a full rebuild of the due queue) and returns how
// long to sleep at most. The loop calls it once per leadership (and after
// a snapshot restore or when it fell behind the change log); then it
// steps only the jobs that changed or fell due.
func (r *scheduleRunner) pass(ws memdb.WatchSet) time.Duration {
	now := r.now()
	jobs, err := r.srv.State().Jobs(ws)
	if err != nil {
		r.logger.Error("list jobs", "error", err)
		return time.Second
	}
	r.queue = newDueQueue()
	for _, job := range jobs {
		r.stepJob(job, now)
	}
	return r.untilNext()
}

// stepJob does what is due for one job and queues its next due time.
func (r *scheduleRunner) stepJob(job *structs.Job, now time.Time) {
	r.steps++
	var next time.Time
	var err error
	switch {
	case job.Periodic != nil:
		next, err = r.periodicStep(job, now)
	case job.Parameterized != nil:
		err = r.dispatchQueueStep(job)
	default:
		next, err = r.timeBoundStep(job, now)
	}
	if err != nil {
		r.logger.Error("schedule step", "job_id", job.ID, "error", err)
		next = now.Add(time.Second)
	}
	r.queue.set(jobKey{namespaceOf(job.Namespace), job.ID}, next)
}

// untilNext is how long to sleep until the next due job (bounded).
func (r *scheduleRunner) untilNext() time.Duration {
	wake := r.now().Add(maxScheduleWait)
	if at, ok := r.queue.peek(); ok && at.Before(wake) {
		wake = at
	}
	return max(wake.Sub(r.now()), time.Millisecond)
}

// launchBase is the time after which the next tick of job is due: its last
// recorded launch, or its submit time (a new or updated job does not catch
// up ticks from before it was submitted), and not before start_time.
func (r *scheduleRunner) launchBase(job *structs.Job) (time.Time, error) {
	base := time.Unix(0, job.SubmitTime)
	l, err := r.srv.State().PeriodicLaunchByID(nil, job.Namespace, job.ID)
	if err != nil {
		return time.Time{}, err
	}
	if l != nil && l.Launch > job.SubmitTime {
		base = time.Unix(0, l.Launch)
	}
	if start, _ := job.TimeBounds(); !start.IsZero() && base.Before(start) {
		base = start.Add(-time.Nanosecond)
	}
	return base, nil
}

// periodicStep launches the latest due tick of a periodic job (once, even
// if several were missed) and returns its next tick (zero: none).
func (r *scheduleRunner) periodicStep(job *structs.Job, now time.Time) (time.Time, error) {
	if job.Stop {
		return time.Time{}, nil
	}
	base, err := r.launchBase(job)
	if err != nil {
		return time.Time{}, err
	}
	_, end := job.TimeBounds()
	due, err := job.Periodic.LatestDue(base, now)
	if err != nil {
		return time.Time{}, err
	}
	if !due.IsZero() && (end.IsZero() || due.Before(end)) {
		first, _ := job.Periodic.Next(base)
		late := due.After(first) || due.Before(r.leaderSince) || now.Sub(due) > lateAfter
		if _, err := r.srv.launchPeriodic(job, due, now, late, false); err != nil {
			return time.Time{}, err
		}
		base = due
	}
	next, err := job.Periodic.Next(base)
	if err != nil || (!end.IsZero() && !next.Before(end)) {
		return time.Time{}, err
	}
	return next, nil
}

// launchPeriodic writes the launch record of tick and, unless the launch is
// skipped (child exists, or prohibit_overlap with a child still running),
// the child job and its evaluation, in one Raft entry. It returns the
// entry written (its Job is nil when skipped).
func (s *Server) launchPeriodic(job *structs.Job, tick, now time.Time, late, forced bool) (*structs.PeriodicLaunchEntry, error) {
	s.launchMu.Lock()
	defer s.launchMu.Unlock()
	entry := &structs.PeriodicLaunchEntry{Launch: &structs.PeriodicLaunch{
		Namespace: job.Namespace, ID: job.ID, Launch: tick.UnixNano(),
	}}
	skip, err := s.skipLaunch(job, tick, forced)
	if err != nil {
		return nil, err
	}
	if skip == "" {
		child := job.PeriodicChild(tick, late, forced)
		child.SubmitTime = now.UnixNano()
		entry.Job = child
		entry.Eval = newJobEval(child, EvalTriggerPeriodicJob, now)
	} else if forced {
		return nil, fmt.Errorf("%w: force launch of %q: %s", structs.ErrConflict, job.ID, skip)
	} else {
		s.logger.Info("periodic launch skipped", "job_id", job.ID, "tick", tick, "reason", skip)
	}
	if _, err := s.raftApply(structs.PeriodicLaunchRequestType, entry); err != nil {
		return nil, fmt.Errorf("launch periodic job %q: %w", job.ID, err)
	}
	if entry.Job != nil {
		s.logger.Info("periodic job launched", "job_id", job.ID, "child", entry.Job.ID, "late", late, "forced", forced)
	}
	return entry, nil
}

// skipLaunch says why a tick is not launched ("" to launch it).
func (s *Server) skipLaunch(job *structs.Job, tick time.Time, forced bool) (string, error) {
	st := s.State()
	id := structs.PeriodicChildID(job.ID, tick)
	existing, err := st.JobByID(nil, job.Namespace, id)
	if err != nil {
		return "", err
	}
	if existing != nil {
		return fmt.Sprintf("child %q already exists", id), nil
	}
	if !job.Periodic.ProhibitOverlap || forced {
		return "", nil
	}
	children, err := st.ChildJobs(nil, job.Namespace, job.ID)
	if err != nil {
		return "", err
	}
	for _, c := range children {
		if c.Status != structs.JobStatusDead {
			return fmt.Sprintf("prohibit_overlap: child %q is still %s", c.ID, c.Status), nil
		}
	}
	return "", nil
}

func newJobEval(job *structs.Job, trigger string, now time.Time) *structs.Evaluation {
	return &structs.Evaluation{
		ID: structs.GenerateID(), Namespace: job.Namespace, Priority: job.Priority,
		Type: job.Type, TriggeredBy: trigger, JobID: job.ID,
		Status: structs.EvalStatusPending, CreateTime: now.UnixNano(), ModifyTime: now.UnixNano(),
	}
}
