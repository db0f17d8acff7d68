package server

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// PeriodicForce launches a periodic job now, whatever its schedule (and
// prohibit_overlap). The launch is recorded like a scheduled one.
func (j *Job) PeriodicForce(args *structs.PeriodicForceRequest, reply *structs.PeriodicForceResponse) error {
	if done, err := j.srv.forward(structs.JobPeriodicForceRPC, false, args, reply); done {
		return err
	}
	ns := namespaceOf(args.Namespace)
	job, err := j.srv.existingJob(ns, args.JobID, "force launch of")
	if err != nil {
		return err
	}
	if job.Periodic == nil {
		return fmt.Errorf("invalid: job %q is not periodic", args.JobID)
	}
	if job.Stop {
		return fmt.Errorf("invalid: job %q is stopped", args.JobID)
	}
	now := time.Now()
	entry, err := j.srv.launchPeriodic(job, now.Truncate(time.Second), now, false, true)
	if err != nil {
		return err
	}
	index, err := j.srv.State().LatestIndex()
	if err != nil {
		return err
	}
	reply.ChildJobID = entry.Job.ID
	reply.EvalID = entry.Eval.ID
	reply.Index = index
	return nil
}

// PeriodicStatus returns a periodic (or parameterized) job's next launch,
// last launch and children.
func (j *Job) PeriodicStatus(args *structs.JobSpecificRequest, reply *structs.PeriodicStatusResponse) error {
	if done, err := j.srv.forward(structs.JobPeriodicStatusRPC, args.AllowStale, args, reply); done {
		return err
	}
	ns := namespaceOf(args.Namespace)
	return j.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		job, err := st.JobByID(ws, ns, args.JobID)
		if err != nil {
			return 0, err
		}
		if job == nil {
			return 0, fmt.Errorf("job %q: %w", args.JobID, structs.ErrNotFound)
		}
		status, err := periodicStatus(ws, st, job, time.Now())
		if err != nil {
			return 0, err
		}
		reply.Status = status
		return maxTableIndex(st, state.TableJobs, state.TablePeriodicLaunch)
	})
}

// periodicStatus computes the status at now: the next launch is the first
// tick after the last launch (or submit time) that is after now and before
// end_time; a due tick not yet launched shows as now.
func periodicStatus(ws memdb.WatchSet, st *state.StateStore, job *structs.Job, now time.Time) (*structs.PeriodicStatus, error) {
	out := &structs.PeriodicStatus{JobID: job.ID, Children: []*structs.JobListStub{}}
	children, err := st.ChildJobs(ws, job.Namespace, job.ID)
	if err != nil {
		return nil, err
	}
	for _, c := range children {
		out.Children = append(out.Children, c.Stub())
	}
	if job.Periodic == nil {
		return out, nil
	}
	l, err := st.PeriodicLaunchByID(ws, job.Namespace, job.ID)
	if err != nil {
		return nil, err
	}
	base := time.Unix(0, job.SubmitTime)
	if l != nil {
		out.LastLaunch = time.Unix(0, l.Launch).UTC().Format(time.RFC3339)
		if l.Launch > job.SubmitTime {
			base = time.Unix(0, l.Launch)
		}
	}
	start, end := job.TimeBounds()
	if !start.IsZero() && base.Before(start) {
		base = start.Add(-time.Nanosecond)
	}
	if job.Stop {
		return out, nil
	}
	if due, err := job.Periodic.LatestDue(base, now); err == nil && !due.IsZero() {
		base = due
	}
	next, err := job.Periodic.Next(base)
	if err != nil {
		return nil, fmt.Errorf("next launch of %q: %w", job.ID, err)
	}
	if end.IsZero() || next.Before(end) {
		out.NextLaunch = next.UTC().Format(time.RFC3339)
	}
	return out, nil
}
