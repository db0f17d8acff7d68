package server

import (
	"context"
	"fmt"
	"sync"
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

// launchMu serializes launches (loop and `periodic force`), so that the
// existence check and the Raft write of a child are not interleaved.
var launchMu sync.Mutex

// scheduleRunner is the leader's duty for schedules: periodic launches,
// the max_concurrent dispatch queue and start_time/end_time evaluations.
// It keeps no state of its own: each pass reads the state store, and every
// launch is recorded through Raft, so a new leader resumes exactly.
type scheduleRunner struct {
	srv    *Server
	logger hclog.Logger
	now    func() time.Time
	// leaderSince is when this server became leader: a tick before it that
	// was not recorded was missed during a failover and is launched late.
	leaderSince time.Time
}

func newScheduleRunner(s *Server, now func() time.Time) *scheduleRunner {
	return &scheduleRunner{srv: s, logger: s.logger.Named("periodic"), now: now, leaderSince: now()}
}

// minPassGap spaces the passes out when jobs change often (every status
// change of any job wakes the loop), so that churn costs little CPU.
const minPassGap = 20 * time.Millisecond

// runSchedules is started by establishLeadership.
func (s *Server) runSchedules(ctx context.Context) {
	r := newScheduleRunner(s, time.Now)
	for {
		ws := memdb.NewWatchSet()
		wait := r.pass(ws)
		wctx, cancel := context.WithTimeout(ctx, wait)
		_ = ws.WatchCtx(wctx)
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-time.After(minPassGap):
		}
	}
}

// pass does everything that is due and returns how long to sleep at most
// (the watch set also wakes it when jobs change).
func (r *scheduleRunner) pass(ws memdb.WatchSet) time.Duration {
	now := r.now()
	wake := now.Add(maxScheduleWait)
	jobs, err := r.srv.State().Jobs(ws)
	if err != nil {
		r.logger.Error("list jobs", "error", err)
		return time.Second
	}
	for _, job := range jobs {
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
		if !next.IsZero() && next.Before(wake) {
			wake = next
		}
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
	launchMu.Lock()
	defer launchMu.Unlock()
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
