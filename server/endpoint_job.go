package server

import (
	"fmt"

	"time"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// Job is the RPC endpoint for jobs.
type Job struct{ srv *Server }

// Register writes a new version of a job and its evaluation in one Raft entry.
func (j *Job) Register(args *structs.JobRegisterRequest, reply *structs.JobRegisterResponse) error {
	return j.register(args, structs.EvalTriggerJobRegister, reply)
}

// register is Register with the evaluation's trigger named by the caller:
// a scale is a register whose evaluation says it came from `job scale`.
// On a follower the request is forwarded as a plain Register, so a scale
// that meets a leadership change mid-way is evaluated as "job-register".
func (j *Job) register(args *structs.JobRegisterRequest, trigger string, reply *structs.JobRegisterResponse) error {
	if err := ensureRegisterToken(args); err != nil {
		return err
	}
	if done, err := j.srv.forward("Job.Register", false, args, reply); done {
		return err
	}
	job := args.Job
	if job == nil {
		return fmt.Errorf("invalid: job is required")
	}
	job = job.Copy()
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		return fmt.Errorf("invalid: %w", err)
	}
	if args.Namespace != "" && args.Namespace != job.Namespace {
		job.Namespace = args.Namespace
	}
	if err := j.srv.requireNamespace(job.Namespace); err != nil {
		return err
	}
	st := j.srv.State()
	if err := checkDriverConfigs(st, job); err != nil {
		return fmt.Errorf("invalid: %w", err)
	}
	existing, err := st.JobByID(nil, job.Namespace, job.ID)
	if err != nil {
		return fmt.Errorf("register job %q: %w", job.ID, err)
	}
	// Server-owned fields are never taken from the request.
	// Children are made by the periodic dispatcher and Job.Dispatch only.
	job.ClearServerOwned()
	if done, err := earlierRegister(existing, job, args.IdempotencyToken, reply); done {
		return err
	}
	if args.EnforceIndex {
		var current uint64
		if existing != nil {
			current = existing.JobModifyIndex
		}
		if current != args.JobModifyIndex {
			return fmt.Errorf("%w: job %q modify index is %d, not %d: it changed since it was read",
				structs.ErrConflict, job.ID, current, args.JobModifyIndex)
		}
	}
	job.SubmitTime = time.Now().UnixNano()

	now := time.Now().UnixNano()
	eval := &structs.Evaluation{
		ID: structs.GenerateID(), Namespace: job.Namespace, Priority: job.Priority,
		Type: job.Type, TriggeredBy: trigger, JobID: job.ID,
		Status: structs.EvalStatusPending, CreateTime: now, ModifyTime: now,
	}
	job.LastRegister = &structs.RegisterRecord{Token: args.IdempotencyToken, EvalID: eval.ID}
	index, err := j.srv.raftApply(structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: job, Eval: eval})
	if err != nil {
		return fmt.Errorf("register job %q: %w", job.ID, err)
	}
	return j.srv.registerAnswer(job, eval, index, reply)
}

// Deregister stops a job (or purges it) and evaluates it so that its
// allocations are stopped.
func (j *Job) Deregister(args *structs.JobDeregisterRequest, reply *structs.JobDeregisterResponse) error {
	if done, err := j.srv.forward("Job.Deregister", false, args, reply); done {
		return err
	}
	ns := namespaceOf(args.Namespace)
	existing, err := j.srv.existingJob(ns, args.JobID, "deregister")
	if err != nil {
		return err
	}
	now := time.Now().UnixNano()
	eval := &structs.Evaluation{
		ID: structs.GenerateID(), Namespace: ns, Priority: existing.Priority,
		Type: existing.Type, TriggeredBy: structs.EvalTriggerJobDeregister, JobID: args.JobID,
		Status: structs.EvalStatusPending, CreateTime: now, ModifyTime: now,
	}
	entry := &structs.JobDeregisterEntry{Namespace: ns, JobID: args.JobID, Purge: args.Purge, Eval: eval, Time: now}
	index, err := j.srv.raftApply(structs.JobDeregisterRequestType, entry)
	if err != nil {
		return fmt.Errorf("deregister job %q: %w", args.JobID, err)
	}
	reply.EvalID = eval.ID
	reply.JobModifyIndex = index
	reply.Index = index
	return nil
}

// existingJob reads the job a write acts on: a read error names the
// action, a missing job is structs.ErrNotFound.
func (s *Server) existingJob(ns, jobID, action string) (*structs.Job, error) {
	job, err := s.State().JobByID(nil, ns, jobID)
	if err != nil {
		return nil, fmt.Errorf("%s job %q: %w", action, jobID, err)
	}
	if job == nil {
		return nil, fmt.Errorf("job %q: %w", jobID, structs.ErrNotFound)
	}
	return job, nil
}

// GetJob returns the current version of a job (nil when missing).
func (j *Job) GetJob(args *structs.JobSpecificRequest, reply *structs.SingleJobResponse) error {
	if done, err := j.srv.forward("Job.GetJob", args.AllowStale, args, reply); done {
		return err
	}
	ns := namespaceOf(args.Namespace)
	return j.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		job, err := st.JobByID(ws, ns, args.JobID)
		if err != nil {
			return 0, err
		}
		reply.Job = job
		if job != nil {
			return job.ModifyIndex, nil
		}
		return st.Index("jobs")
	})
}

// GetJobVersion returns one version of a job; clients use it to learn the
// spec an allocation references.
func (j *Job) GetJobVersion(args *structs.JobSpecificRequest, reply *structs.SingleJobResponse) error {
	if done, err := j.srv.forward("Job.GetJobVersion", args.AllowStale, args, reply); done {
		return err
	}
	ns := namespaceOf(args.Namespace)
	return j.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		job, err := st.JobByIDAndVersion(ws, ns, args.JobID, args.Version)
		if err != nil {
			return 0, err
		}
		reply.Job = job
		return st.Index("job_versions")
	})
}

// List returns every job with a summary of its allocations.
func (j *Job) List(args *structs.JobListRequest, reply *structs.JobListResponse) error {
	if done, err := j.srv.forward("Job.List", args.AllowStale, args, reply); done {
		return err
	}
	inScope, err := j.srv.listFilter(&args.QueryOptions, acl.CapabilityListJobs)
	if err != nil {
		return err
	}
	return j.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		jobs, err := st.Jobs(ws)
		if err != nil {
			return 0, err
		}
		reply.Jobs = make([]*structs.JobListStub, 0, len(jobs))
		for _, job := range jobs {
			if args.Prefix != "" && !hasPrefix(job.ID, args.Prefix) || !inScope(job.Namespace) {
				continue
			}
			stub := job.Stub()
			allocs, err := st.AllocsByJob(ws, job.Namespace, job.ID)
			if err != nil {
				return 0, err
			}
			evals, err := st.EvalsByJob(ws, job.Namespace, job.ID)
			if err != nil {
				return 0, err
			}
			stub.Summary = summarize(job, allocs, evals)
			reply.Jobs = append(reply.Jobs, stub)
		}
		return maxTableIndex(st, "jobs", "allocs", "evals")
	})
}

// Allocations lists a job's allocations.
func (j *Job) Allocations(args *structs.JobSpecificRequest, reply *structs.JobAllocationsResponse) error {
	if done, err := j.srv.forward("Job.Allocations", args.AllowStale, args, reply); done {
		return err
	}
	ns := namespaceOf(args.Namespace)
	return j.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		allocs, err := st.AllocsByJob(ws, ns, args.JobID)
		if err != nil {
			return 0, err
		}
		reply.Allocations = make([]*structs.AllocListStub, 0, len(allocs))
		for _, a := range allocs {
			reply.Allocations = append(reply.Allocations, a.Stub())
		}
		sortAllocStubs(reply.Allocations)
		return st.Index("allocs")
	})
}

// Evaluations lists a job's evaluations.
func (j *Job) Evaluations(args *structs.JobSpecificRequest, reply *structs.JobEvaluationsResponse) error {
	if done, err := j.srv.forward("Job.Evaluations", args.AllowStale, args, reply); done {
		return err
	}
	ns := namespaceOf(args.Namespace)
	return j.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		evals, err := st.EvalsByJob(ws, ns, args.JobID)
		if err != nil {
			return 0, err
		}
		reply.Evaluations = evals
		sortEvals(reply.Evaluations)
		return st.Index("evals")
	})
}

// summarize counts a job's allocations per group and client status.
// Queued counts come from the job's newest blocked evaluation.
func summarize(job *structs.Job, allocs []*structs.Allocation, evals []*structs.Evaluation) map[string]*structs.GroupSummary {
	out := make(map[string]*structs.GroupSummary, len(job.Groups))
	for _, g := range job.Groups {
		out[g.Name] = &structs.GroupSummary{}
	}
	for _, a := range allocs {
		s := out[a.TaskGroup]
		if s == nil {
			s = &structs.GroupSummary{}
			out[a.TaskGroup] = s
		}
		switch a.ClientStatus {
		case structs.AllocClientPending:
			if a.DesiredStatus == structs.AllocDesiredRun {
				s.Starting++
			}
		case structs.AllocClientRunning:
			s.Running++
		case structs.AllocClientComplete:
			s.Complete++
		case structs.AllocClientFailed:
			s.Failed++
		case structs.AllocClientLost:
			s.Lost++
		case structs.AllocClientUnknown:
			s.Unknown++
		}
	}
	var blocked *structs.Evaluation
	for _, e := range evals {
		if e.Status == structs.EvalStatusBlocked && (blocked == nil || e.CreateIndex > blocked.CreateIndex) {
			blocked = e
		}
	}
	if blocked != nil {
		for group, n := range blocked.QueuedAllocations {
			if s := out[group]; s != nil {
				s.Queued = n
			}
		}
	}
	return out
}
