package server

import (
	"fmt"
	"sort"
	"time"

	"github.com/appmesh/appmesh/server/scheduler"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// Plan runs the real scheduler for a submitted job on a snapshot of the
// state, with a planner that records instead of committing: nothing is
// written through Raft.
func (j *Job) Plan(args *structs.JobPlanRequest, reply *structs.JobPlanResponse) error {
	if done, err := j.srv.forward("Job.Plan", false, args, reply); done {
		return err
	}
	if args.Job == nil {
		return fmt.Errorf("invalid: job is required")
	}
	job := args.Job.Copy()
	job.Canonicalize()
	if args.Namespace != "" {
		job.Namespace = args.Namespace
	}
	if err := job.Validate(); err != nil {
		return fmt.Errorf("invalid: %w", err)
	}
	snap, err := j.srv.State().Snapshot()
	if err != nil {
		return fmt.Errorf("plan job %q: snapshot: %w", job.ID, err)
	}
	if err := checkDriverConfigs(snap, job); err != nil {
		return fmt.Errorf("invalid: %w", err)
	}
	existing, err := snap.JobByID(nil, job.Namespace, job.ID)
	if err != nil {
		return fmt.Errorf("plan job %q: %w", job.ID, err)
	}
	planned := plannedVersion(existing, job)
	if args.Diff {
		if reply.Diff, err = diffJobs(existing, planned); err != nil {
			return fmt.Errorf("plan job %q: %w", job.ID, err)
		}
	}
	if existing != nil {
		reply.JobModifyIndex = existing.JobModifyIndex
	}
	rec := &recordingPlanner{}
	view := planStateView{stateView: stateView{snap}, job: planned}
	sched, err := scheduler.NewScheduler(planned.Type, j.srv.logger, view, rec)
	if err != nil {
		return fmt.Errorf("plan job %q: %w", job.ID, err)
	}
	now := time.Now().UnixNano()
	eval := &structs.Evaluation{
		ID: structs.GenerateID(), Namespace: planned.Namespace, Priority: planned.Priority,
		Type: planned.Type, TriggeredBy: structs.EvalTriggerJobRegister, JobID: planned.ID,
		Status: structs.EvalStatusPending, CreateTime: now, ModifyTime: now,
	}
	if err := sched.Process(eval); err != nil {
		return fmt.Errorf("plan job %q: scheduler: %w", job.ID, err)
	}
	rec.fill(reply)
	reply.Index, _ = snap.LatestIndex()
	return nil
}

// plannedVersion is the job as a registration would store it.
func plannedVersion(existing, job *structs.Job) *structs.Job {
	c := job.Copy()
	c.ClearServerOwned()
	if existing == nil {
		return c
	}
	c.CreateIndex, c.JobModifyIndex = existing.CreateIndex, existing.JobModifyIndex
	c.Version = existing.Version
	if existing.Stop || !state.SpecEqual(existing, c) {
		c.Version = existing.Version + 1
	} else {
		// The same version: its rollout outcome stays, as UpsertJob keeps it.
		c.Stable, c.UpdateFailure = existing.Stable, existing.UpdateFailure
	}
	return c
}

// planStateView shows the planned job in place of the stored one.
type planStateView struct {
	stateView
	job *structs.Job
}

func (v planStateView) JobByID(ns, id string) (*structs.Job, error) {
	if ns == v.job.Namespace && id == v.job.ID {
		return v.job, nil
	}
	return v.stateView.JobByID(ns, id)
}

func (v planStateView) JobByIDAndVersion(ns, id string, version uint64) (*structs.Job, error) {
	if ns == v.job.Namespace && id == v.job.ID && version == v.job.Version {
		return v.job, nil
	}
	return v.stateView.JobByIDAndVersion(ns, id, version)
}

// recordingPlanner accepts every plan without committing it.
type recordingPlanner struct {
	plans   []*structs.Plan
	eval    *structs.Evaluation
	created []*structs.Evaluation
}

func (r *recordingPlanner) SubmitPlan(plan *structs.Plan) (*structs.PlanResult, scheduler.State, error) {
	r.plans = append(r.plans, plan)
	return &structs.PlanResult{NodeUpdate: plan.NodeUpdate, NodeAllocation: plan.NodeAllocation}, nil, nil
}

func (r *recordingPlanner) UpdateEval(eval *structs.Evaluation) error {
	r.eval = eval.Copy()
	return nil
}

func (r *recordingPlanner) CreateEval(eval *structs.Evaluation) error {
	r.created = append(r.created, eval.Copy())
	return nil
}

func (r *recordingPlanner) fill(reply *structs.JobPlanResponse) {
	reply.CreatedEvals = r.created
	if r.eval != nil {
		reply.FailedTGAllocs = r.eval.FailedTGAllocs
	}
	reply.Annotations = &structs.PlanAnnotations{}
	for _, p := range r.plans {
		if p.Annotations != nil {
			reply.Annotations = p.Annotations
		}
		for _, allocs := range p.NodeAllocation {
			for _, a := range allocs {
				reply.Placed = append(reply.Placed, a.Stub())
			}
		}
		for _, allocs := range p.NodeUpdate {
			for _, a := range allocs {
				reply.Stopped = append(reply.Stopped, a.Stub())
			}
		}
	}
	if r.eval != nil && len(r.plans) == 0 && len(r.eval.FailedTGAllocs) > 0 {
		for g, m := range r.eval.FailedTGAllocs {
			reply.Annotations.Group(g).Unplaced = 1 + m.CoalescedFailures
		}
	}
	sort.Slice(reply.Placed, func(a, b int) bool { return reply.Placed[a].Name < reply.Placed[b].Name })
	sort.Slice(reply.Stopped, func(a, b int) bool { return reply.Stopped[a].ID < reply.Stopped[b].ID })
}
