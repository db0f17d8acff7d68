package server

import (
	"fmt"
	"sort"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// Dispatch launches a parameterized job with a payload and meta. The child
// "<id>/dispatch-<unix>-<short id>" is written without an evaluation: the
// leader's dispatch queue starts it (writes its launch record and
// evaluation) as soon as fewer than max_concurrent siblings run, oldest
// first. Until then the child is "pending" without evaluations.
func (j *Job) Dispatch(args *structs.JobDispatchRequest, reply *structs.JobDispatchResponse) error {
	if err := ensureDispatchToken(args); err != nil {
		return err
	}
	if done, err := j.srv.forward(structs.JobDispatchRPC, false, args, reply); done {
		return err
	}
	ns := namespaceOf(args.Namespace)
	parent, err := j.srv.existingJob(ns, args.JobID, "dispatch")
	if err != nil {
		return err
	}
	if parent.Parameterized == nil {
		return fmt.Errorf("invalid: job %q is not parameterized: only a job with a parameterized block can be dispatched", args.JobID)
	}
	if parent.Stop {
		return fmt.Errorf("invalid: job %q is stopped: it cannot be dispatched", args.JobID)
	}
	if err := parent.Parameterized.ValidateDispatch(args.Payload, args.Meta); err != nil {
		return fmt.Errorf("invalid: dispatch job %q: %w", args.JobID, err)
	}
	if done, err := j.srv.earlierDispatch(parent, args, reply); done {
		return err
	}
	now := time.Now()
	child := parent.DispatchChild(structs.DispatchChildID(parent.ID, now.Unix(), structs.GenerateID()), args.Meta, args.Payload)
	child.SubmitTime = now.UnixNano()
	child.DispatchIdempotencyToken = args.IdempotencyToken
	index, err := j.srv.raftApply(structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: child})
	if err != nil {
		return fmt.Errorf("dispatch job %q: %w", args.JobID, err)
	}
	// A concurrent dispatch with the same token may have been committed
	// first; the FSM then dropped this one and that child is the answer.
	if done, err := j.srv.earlierDispatch(parent, args, reply); done && (err != nil || reply.DispatchedJobID != child.ID) {
		return err
	}
	reply.Existing = false
	reply.DispatchedJobID = child.ID
	reply.JobCreateIndex = index
	reply.Index = index
	reply.Queued = j.srv.dispatchSlotsFull(parent)
	return nil
}

// dispatchSlotsFull reports whether the parent's children already use all
// of max_concurrent (best effort, for the reply only).
func (s *Server) dispatchSlotsFull(parent *structs.Job) bool {
	max := parent.Parameterized.MaxConcurrent
	if max == 0 {
		return false
	}
	active, _, err := s.dispatchChildren(parent)
	return err == nil && active >= max
}

// dispatchChildren counts the children that were started and still run,
// and lists the queued ones (not started yet, not stopped), oldest first.
func (s *Server) dispatchChildren(parent *structs.Job) (int, []*structs.Job, error) {
	st := s.State()
	children, err := st.ChildJobs(nil, parent.Namespace, parent.ID)
	if err != nil {
		return 0, nil, err
	}
	active := 0
	var queued []*structs.Job
	for _, c := range children {
		l, err := st.PeriodicLaunchByID(nil, c.Namespace, c.ID)
		if err != nil {
			return 0, nil, err
		}
		if l == nil {
			if !c.Stop {
				queued = append(queued, c)
			}
			continue
		}
		running, err := s.childRunning(c)
		if err != nil {
			return 0, nil, err
		}
		if running {
			active++
		}
	}
	sort.SliceStable(queued, func(a, b int) bool { return queued[a].CreateIndex < queued[b].CreateIndex })
	return active, queued, nil
}

// childRunning: a started child counts against max_concurrent until it is
// dead or has nothing left (its evaluations and allocations were
// garbage collected).
func (s *Server) childRunning(c *structs.Job) (bool, error) {
	if c.Status == structs.JobStatusDead {
		return false, nil
	}
	allocs, err := s.State().AllocsByJob(nil, c.Namespace, c.ID)
	if err != nil {
		return false, err
	}
	evals, err := s.State().EvalsByJob(nil, c.Namespace, c.ID)
	if err != nil {
		return false, err
	}
	return len(allocs) > 0 || len(evals) > 0, nil
}

// dispatchQueueStep starts queued children while slots are free. Each
// start is a launch record (keyed by the child) plus its evaluation.
func (r *scheduleRunner) dispatchQueueStep(parent *structs.Job) error {
	if parent.Stop {
		return nil
	}
	r.srv.launchMu.Lock()
	defer r.srv.launchMu.Unlock()
	active, queued, err := r.srv.dispatchChildren(parent)
	if err != nil {
		return fmt.Errorf("dispatch queue of %q: %w", parent.ID, err)
	}
	free := len(queued)
	if max := parent.Parameterized.MaxConcurrent; max > 0 {
		free = min(free, max-active)
	}
	for _, c := range queued[:max(free, 0)] {
		now := r.now()
		entry := &structs.PeriodicLaunchEntry{
			Launch: &structs.PeriodicLaunch{Namespace: c.Namespace, ID: c.ID, Launch: now.UnixNano()},
			Eval:   newJobEval(c, EvalTriggerDispatch, now),
		}
		if _, err := r.srv.raftApply(structs.PeriodicLaunchRequestType, entry); err != nil {
			return fmt.Errorf("start dispatched job %q: %w", c.ID, err)
		}
		r.logger.Debug("dispatched job started", "job_id", c.ID)
	}
	return nil
}
