package server

import (
	"context"
	"sync"
	"time"

	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/server/scheduler"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// rolloutWatcher judges the rollout of service jobs on the leader: after
// client updates of a job's allocations it asks scheduler.DecideRollout
// whether the current version became stable or its update failed, records
// that through Raft and, with auto_revert, registers the latest stable
// version again (the path of `job revert`). It works off the request path:
// Node.UpdateAlloc only marks jobs, one goroutine owned by the leader
// decides, so a burst of health reports costs one decision per job.
type rolloutWatcher struct {
	srv    *Server
	logger hclog.Logger

	mu      sync.Mutex
	pending map[jobKey]struct{}
	// deadlines: when to decide again for a job whose progress_deadline
	// is running (the earliest one per job).
	deadlines map[jobKey]time.Time
	wake      chan struct{} // buffered 1: "pending is not empty"
}

func newRolloutWatcher(s *Server) *rolloutWatcher {
	return &rolloutWatcher{srv: s, logger: s.logger.Named("rollout"),
		pending: map[jobKey]struct{}{}, deadlines: map[jobKey]time.Time{}, wake: make(chan struct{}, 1)}
}

// notify marks the jobs of updated allocations for a decision. Only
// reports that can change a rollout count: a health judgement or a
// failure (plain status reports without health, e.g. of batch work, do
// not cost a decision).
func (w *rolloutWatcher) notify(st *state.StateStore, updates []*structs.AllocStatusUpdate) {
	var keys []jobKey
	for _, u := range updates {
		if u.Healthy == nil && u.ClientStatus != structs.AllocClientFailed {
			continue
		}
		a, err := st.AllocByID(nil, u.ID)
		if err != nil || a == nil {
			continue
		}
		keys = append(keys, jobKey{a.Namespace, a.JobID})
	}
	w.mark(keys...)
}

// markIfRolling queues a job whose current version has an update block and
// is still rolling out (not stable, not failed): a completed evaluation may
// have moved its allocations to the version in place. Other jobs are left
// alone, so that the many evaluations of a busy cluster cost one lookup each.
func (w *rolloutWatcher) markIfRolling(st *state.StateStore, namespace, jobID string) {
	job, err := st.JobByID(nil, namespace, jobID)
	if err != nil || job == nil || job.Stable || job.UpdateFailure != "" || job.Type != structs.JobTypeService {
		return
	}
	for _, tg := range job.Groups {
		if structs.GroupUpdate(job, tg) != nil {
			w.mark(jobKey{namespace, jobID})
			return
		}
	}
}

// markRollingJobs queues every job that is still rolling out.
func (w *rolloutWatcher) markRollingJobs() {
	st := w.srv.State()
	jobs, err := st.Jobs(nil)
	if err != nil {
		w.logger.Warn("cannot list jobs to resume rollouts", "error", err)
		return
	}
	for _, job := range jobs {
		w.markIfRolling(st, job.Namespace, job.ID)
	}
}

// mark queues jobs for a decision.
func (w *rolloutWatcher) mark(keys ...jobKey) {
	if len(keys) == 0 {
		return
	}
	w.mu.Lock()
	for _, k := range keys {
		w.pending[k] = struct{}{}
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// recheckAt asks for another decision on a job at a time (a
// progress_deadline passes then).
func (w *rolloutWatcher) recheckAt(k jobKey, at time.Time) {
	w.mu.Lock()
	if cur, ok := w.deadlines[k]; !ok || at.Before(cur) {
		w.deadlines[k] = at
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// dueDeadlines moves the jobs whose recheck time came to pending, and
// returns the next recheck time (zero: none).
func (w *rolloutWatcher) dueDeadlines(now time.Time) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	var next time.Time
	for k, at := range w.deadlines {
		if !at.After(now) {
			w.pending[k] = struct{}{}
			delete(w.deadlines, k)
			continue
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next
}

func (w *rolloutWatcher) take() []jobKey {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]jobKey, 0, len(w.pending))
	for k := range w.pending {
		out = append(out, k)
	}
	clear(w.pending)
	return out
}

// run decides for marked jobs until ctx ends (leadership is lost). It
// starts with every job still rolling out: the previous leader may have
// lost the reports it had not decided on yet.
func (w *rolloutWatcher) run(ctx context.Context) {
	w.markRollingJobs()
	for {
		if !w.waitForWork(ctx) {
			return
		}
		for _, k := range w.take() {
			if ctx.Err() != nil {
				return
			}
			if err := w.decide(k); err != nil {
				w.logger.Warn("rollout decision failed", "job_id", k.id, "error", err)
			}
		}
		// A decision reads all of a job's allocations: pausing between
		// passes lets reports pile up, so a stream of health reports of a
		// large job costs a few scans per second, not one per report.
		if !ctxsleep.Sleep(ctx, rolloutPassPause) {
			return
		}
	}
}

// waitForWork waits for marked jobs or the next recheck time; false when
// ctx ended.
func (w *rolloutWatcher) waitForWork(ctx context.Context) bool {
	var due <-chan time.Time
	if next := w.dueDeadlines(time.Now()); !next.IsZero() {
		t := time.NewTimer(time.Until(next))
		defer t.Stop()
		due = t.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-w.wake:
	case <-due:
	}
	w.dueDeadlines(time.Now())
	return true
}

// rolloutPassPause is the pause between two passes of decisions.
const rolloutPassPause = 50 * time.Millisecond

func (w *rolloutWatcher) decide(k jobKey) error {
	snap, err := w.srv.State().Snapshot()
	if err != nil {
		return err
	}
	d, err := scheduler.DecideRollout(stateView{snap}, k.namespace, k.id, state.SpecEqual)
	if err != nil || d == nil {
		return err
	}
	if !d.RecheckAt.IsZero() {
		w.recheckAt(k, d.RecheckAt)
	}
	if !d.Changed() {
		return nil
	}
	if d.Promote {
		job, err := snap.JobByID(nil, d.Namespace, d.JobID)
		if err != nil || job == nil || job.Version != d.Version {
			return err
		}
		_, _, err = w.srv.promoteVersion(job)
		return err
	}
	_, _, err = w.record(d)
	return err
}

// record writes a decision that the version is stable or failed and, for
// a failure with a version to go back to, reverts the job to it (the path
// of `job revert`). It returns the Raft index of the mark and the revert's
// answer (nil when nothing was reverted).
func (w *rolloutWatcher) record(d *scheduler.RolloutDecision) (uint64, *structs.JobRegisterResponse, error) {
	entry := &structs.JobRolloutEntry{Namespace: d.Namespace, JobID: d.JobID, Version: d.Version,
		Stable: d.Stable, Failure: d.Failure}
	index, err := w.srv.raftApply(structs.JobRolloutRequestType, entry)
	if err != nil {
		return 0, nil, err
	}
	if d.Stable {
		w.logger.Info("job version is stable", "job_id", d.JobID, "version", d.Version)
		return index, nil, nil
	}
	w.logger.Warn("job update failed", "job_id", d.JobID, "version", d.Version, "reason", d.Failure)
	if d.RevertTo == nil {
		return index, nil, nil
	}
	req := &structs.JobRevertRequest{JobID: d.JobID, Version: d.RevertTo.Version, EnforcePriorVersion: &d.Version}
	req.Namespace = d.Namespace
	var reply structs.JobRegisterResponse
	if err := (&Job{srv: w.srv}).Revert(req, &reply); err != nil {
		return index, nil, err
	}
	w.logger.Info("job reverted", "job_id", d.JobID, "from_version", d.Version, "to_version", d.RevertTo.Version)
	return index, &reply, nil
}
