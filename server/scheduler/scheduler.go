package scheduler

import (
	"errors"
	"fmt"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// BuiltinSchedulers maps a job type to its scheduler.
var BuiltinSchedulers = map[string]Factory{
	structs.JobTypeService:  NewServiceScheduler,
	structs.JobTypeBatch:    NewBatchScheduler,
	structs.JobTypeSystem:   NewSystemScheduler,
	structs.JobTypeSysBatch: NewSysBatchScheduler,
}

// NewScheduler returns the scheduler for a job type.
func NewScheduler(jobType string, logger hclog.Logger, state State, planner Planner) (Scheduler, error) {
	if f, ok := BuiltinSchedulers[jobType]; ok {
		return f(logger, state, planner), nil
	}
	return nil, fmt.Errorf("no scheduler for job type %q: expected service, batch, system or sysbatch", jobType)
}

// NewServiceScheduler schedules long-running services.
func NewServiceScheduler(logger hclog.Logger, state State, planner Planner) Scheduler {
	return newGenericScheduler(logger, state, planner, false)
}

// NewBatchScheduler schedules work that runs to completion: completed
// allocations count as done, and fewer candidate nodes are scored.
func NewBatchScheduler(logger hclog.Logger, state State, planner Planner) Scheduler {
	return newGenericScheduler(logger, state, planner, true)
}

// maxPlanAttempts bounds how often a partly rejected plan is recomputed
// before the evaluation fails and a blocked evaluation takes over.
const maxPlanAttempts = 5

// genericScheduler is the service and batch scheduler: reconcile each group
// of the job against its allocations, place what is missing, submit the
// plan, and record the outcome on the evaluation.
type genericScheduler struct {
	logger  hclog.Logger
	state   State
	planner Planner
	batch   bool
	system  bool // one allocation per eligible node (system, sysbatch)

	eval          *structs.Evaluation // our copy, written back by UpdateEval
	snapshotIndex uint64
	failed        map[string]*structs.AllocMetric // per group, of the last attempt
	queued        map[string]int
	// preemptedJobs are jobs that lost allocations to this evaluation's
	// placements; each gets an evaluation once the plan is committed.
	preemptedJobs map[string]*structs.Allocation
	// job, rescheduled and rescheduleAt come from the last attempt's
	// reconciliation (reschedule.go).
	job          *structs.Job
	rescheduled  map[string]time.Duration
	rescheduleAt int64
}

func newGenericScheduler(logger hclog.Logger, state State, planner Planner, batch bool) *genericScheduler {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &genericScheduler{logger: logger.Named("scheduler"), state: state, planner: planner, batch: batch}
}

// Process reconciles the evaluation's job. An error means the state or the
// planner failed and the evaluation was not updated, so the caller should
// retry it. A plan that keeps being rejected is not an error: the
// evaluation is marked failed and a blocked evaluation retries later.
//
// Process works on a copy of eval; the outcome reaches the caller through
// Planner.UpdateEval.
func (s *genericScheduler) Process(eval *structs.Evaluation) error {
	if eval == nil {
		return errors.New("scheduler: nil evaluation")
	}
	s.eval = eval.Copy()
	for attempt := 1; attempt <= maxPlanAttempts; attempt++ {
		done, err := s.attempt()
		if err != nil {
			return fmt.Errorf("evaluation %s of job %q: %w", eval.ID, eval.JobID, err)
		}
		if done {
			return s.finish(structs.EvalStatusComplete, "", structs.EvalTriggerQueuedAllocs)
		}
		s.logger.Debug("plan partly rejected, planning again", "eval_id", eval.ID, "attempt", attempt)
	}
	desc := fmt.Sprintf("plan was only partly committed %d times in a row; a blocked evaluation will retry", maxPlanAttempts)
	return s.finish(structs.EvalStatusFailed, desc, structs.EvalTriggerMaxPlans)
}

// attempt plans once against the current state. It reports done when the
// plan was fully committed (or there was nothing to do).
func (s *genericScheduler) attempt() (bool, error) {
	ns, jobID := s.eval.Namespace, s.eval.JobID
	index, err := s.state.LatestIndex()
	if err != nil {
		return false, fmt.Errorf("read state index: %w", err)
	}
	job, err := s.state.JobByID(ns, jobID)
	if err != nil {
		return false, fmt.Errorf("read job: %w", err)
	}
	allocs, err := s.state.AllocsByJob(ns, jobID)
	if err != nil {
		return false, fmt.Errorf("read allocations: %w", err)
	}
	if ok, why := job.RunnableAt(time.Now()); job != nil && !ok {
		// A periodic/parameterized parent, or a job outside its
		// start_time/end_time: place nothing and stop what runs.
		s.logger.Debug("job not runnable now", "job_id", jobID, "reason", why)
		job = job.Copy()
		job.Stop = true
	}
	s.snapshotIndex = index
	s.failed, s.queued, s.preemptedJobs = nil, nil, nil
	versions, err := loadVersions(s.state, job, allocs)
	if err != nil {
		return false, err
	}

	if s.system && !job.Stopped() {
		// The system path reconciles node by node; stagger waits are
		// noted in rescheduleAt (system.go).
		s.job, s.rescheduled, s.rescheduleAt = job, nil, 0
		plan := s.newPlan(job, index)
		plan.Annotations = &structs.PlanAnnotations{}
		if err := s.attemptSystem(job, allocs, plan); err != nil {
			return false, err
		}
		return s.submitAndFollowUp(plan)
	}
	rec := &reconciler{job: job, batch: s.batch, tainted: s.taintLookup(), drainForced: s.drainForcedLookup(),
		versions: versions, now: time.Now()}
	res := rec.reconcile(allocs)
	s.job, s.rescheduled, s.rescheduleAt = job, res.rescheduled, res.rescheduleAt
	plan := s.newPlan(job, index)
	plan.Annotations = annotate(res)
	stopped := newStopSet()
	for _, st := range res.stops {
		appendStop(plan, st)
		stopped.add(st.alloc)
	}
	now := time.Now().UnixNano()
	for _, a := range res.inPlace {
		plan.AppendAlloc(inPlaceCopy(a, job, s.eval.ID, now))
	}
	if job != nil && !job.Stopped() {
		s.queued = make(map[string]int, len(job.Groups))
		for _, tg := range job.Groups {
			s.queued[tg.Name] = 0
		}
		if err := s.placeAll(job, allocs, res.places, stopped, plan); err != nil {
			return false, err
		}
	}
	s.logger.Debug("planned", "eval_id", s.eval.ID, "job_id", jobID,
		"stops", len(res.stops), "placements", len(res.places), "unplaced", len(s.failed))
	return s.submitAndFollowUp(plan)
}

// submitAndFollowUp submits a plan (unless empty) and, once it is fully
// committed, evaluates the jobs it preempted.
func (s *genericScheduler) submitAndFollowUp(plan *structs.Plan) (bool, error) {
	if plan.IsNoOp() {
		return true, nil
	}
	done, err := s.submit(plan)
	if err != nil || !done {
		return done, err
	}
	return true, s.evalPreemptedJobs()
}

// evalPreemptedJobs creates an evaluation for every job that lost
// allocations to preemption, so that they are placed again elsewhere.
func (s *genericScheduler) evalPreemptedJobs() error {
	for _, victim := range s.preemptedJobs {
		job, err := s.state.JobByID(victim.Namespace, victim.JobID)
		if err != nil {
			return fmt.Errorf("read preempted job %q: %w", victim.JobID, err)
		}
		if job == nil {
			continue
		}
		now := time.Now().UnixNano()
		eval := &structs.Evaluation{
			ID: structs.GenerateID(), Namespace: job.Namespace, Priority: job.Priority, Type: job.Type,
			TriggeredBy: structs.EvalTriggerPreemption, JobID: job.ID, Status: structs.EvalStatusPending,
			PreviousEval: s.eval.ID, CreateTime: now, ModifyTime: now,
		}
		if err := s.planner.CreateEval(eval); err != nil {
			return fmt.Errorf("create evaluation for preempted job %q: %w", job.ID, err)
		}
	}
	return nil
}

func (s *genericScheduler) newPlan(job *structs.Job, index uint64) *structs.Plan {
	plan := &structs.Plan{
		EvalID: s.eval.ID, Priority: s.eval.Priority, JobID: s.eval.JobID,
		Namespace: s.eval.Namespace, SnapshotIndex: index,
	}
	if job != nil {
		plan.JobVersion = job.Version
		if plan.Priority == 0 {
			plan.Priority = job.Priority
		}
	}
	return plan
}

// taintLookup returns a memoized check for nodes whose allocations are lost.
func (s *genericScheduler) taintLookup() nodeTaint {
	memo := map[string]string{}
	return func(nodeID string) string {
		if desc, ok := memo[nodeID]; ok {
			return desc
		}
		desc := ""
		node, err := s.state.NodeByID(nodeID)
		switch {
		case err != nil:
			// Unknown is not lost: stopping work on a read error would be
			// worse than leaving it until the next evaluation.
			s.logger.Warn("cannot read node", "node_id", nodeID, "error", err)
		case node == nil:
			desc = descNodeMissing
		case node.Status == structs.NodeStatusDown:
			desc = descNodeDown
		case node.IsDraining() && (!s.batch || time.Now().UnixNano() >= node.DrainStrategy.ForceDeadline):
			// Service work moves at once; batch work may finish until
			// the drain deadline.
			desc = descNodeDraining
		}
		memo[nodeID] = desc
		return desc
	}
}

// placeAll finds nodes for the placements and adds them to the plan;
// placements that find no node are recorded in s.failed and s.queued.
func (s *genericScheduler) placeAll(job *structs.Job, jobAllocs []*structs.Allocation, places []placeRequest,
	stopped *stopSet, plan *structs.Plan) error {
	if len(places) == 0 {
		return nil
	}
	nodes, err := s.state.Nodes()
	if err != nil {
		return fmt.Errorf("read nodes: %w", err)
	}
	p := newPlacer(s.state, job, nodes, stopped, seedFromID(s.eval.ID), s.batch)
	p.ns, p.evalID, p.now = s.eval.Namespace, s.eval.ID, time.Now().UnixNano()
	p.jobAllocs, p.priority = jobAllocs, job.Priority
	if wantsDistinctHosts(job) {
		p.trackDistinct(jobAllocs)
	}
	p.trackSameJob(jobAllocs)
	for _, req := range places {
		undo := func() {}
		if _, ok := s.rescheduled[prevID(req)]; ok {
			undo = p.avoidNode(req.previous.NodeID)
		}
		alloc, metric, err := p.place(req)
		undo()
		if err != nil {
			return fmt.Errorf("read node allocations: %w", err)
		}
		if alloc == nil {
			s.recordFailure(req.group.Name, metric)
			plan.Annotations.Group(req.group.Name).Unplaced++
			continue
		}
		if req.stopPrevious {
			appendStop(plan, stopRequest{alloc: req.previous, desc: descUpdated})
		}
		markReschedule(alloc, req, s.rescheduled, p.now)
		plan.AppendAlloc(alloc)
		plan.Annotations.Group(req.group.Name).Preempt += len(alloc.PreemptedAllocations)
	}
	s.preemptedJobs = appendPreemptions(plan, p.preempted)
	return nil
}

// recordFailure keeps the metric of a group's first failed placement and
// counts the rest as coalesced into it.
func (s *genericScheduler) recordFailure(group string, metric *structs.AllocMetric) {
	if s.failed == nil {
		s.failed = map[string]*structs.AllocMetric{}
	}
	s.queued[group]++
	if first := s.failed[group]; first != nil {
		first.CoalescedFailures++
		return
	}
	if metric == nil {
		metric = &structs.AllocMetric{}
	}
	s.failed[group] = metric
}

// submit hands the plan to the planner. A partial commit means the state
// moved under us: plan again from the fresher state it returns.
func (s *genericScheduler) submit(plan *structs.Plan) (bool, error) {
	result, fresh, err := s.planner.SubmitPlan(plan)
	if err != nil {
		return false, fmt.Errorf("submit plan: %w", err)
	}
	if result == nil {
		return false, errors.New("submit plan: planner returned no result")
	}
	full, expected, actual := result.FullCommit(plan)
	if full && result.RefreshIndex == 0 {
		return true, nil
	}
	s.logger.Debug("plan partly committed", "eval_id", s.eval.ID,
		"expected", expected, "committed", actual, "refresh_index", result.RefreshIndex)
	if fresh != nil {
		s.state = fresh
	}
	return false, nil
}

// finish records the outcome on the evaluation. Placements that did not
// fit, or a plan that kept failing, leave a blocked evaluation behind that
// is woken when capacity changes. An evaluation that is itself a retried
// blocked one simply gets a new blocked follow-up if it still fails.
func (s *genericScheduler) finish(status, desc, blockedTrigger string) error {
	now := time.Now().UnixNano()
	if len(s.failed) > 0 || status == structs.EvalStatusFailed {
		blocked := s.eval.CreateBlockedEval(copyMetrics(s.failed), now)
		blocked.TriggeredBy = blockedTrigger
		blocked.QueuedAllocations = copyCounts(s.queued)
		// Capacity freed after this index must wake the blocked evaluation.
		blocked.SnapshotIndex = s.snapshotIndex
		if err := s.planner.CreateEval(blocked); err != nil {
			return fmt.Errorf("create blocked evaluation: %w", err)
		}
		s.eval.BlockedEval = blocked.ID
	}
	if err := s.createRescheduleEval(s.job, s.rescheduleAt); err != nil {
		return err
	}
	s.eval.Status = status
	s.eval.StatusDescription = desc
	s.eval.FailedTGAllocs = s.failed
	s.eval.QueuedAllocations = s.queued
	s.eval.SnapshotIndex = s.snapshotIndex
	s.eval.ModifyTime = now
	if err := s.planner.UpdateEval(s.eval); err != nil {
		return fmt.Errorf("update evaluation: %w", err)
	}
	return nil
}

// appendStop adds a stop to the plan, marking it lost when its node is gone.
func appendStop(plan *structs.Plan, st stopRequest) {
	plan.AppendStop(st.alloc, st.desc)
	if st.clientStatus != "" {
		updates := plan.NodeUpdate[st.alloc.NodeID]
		updates[len(updates)-1].ClientStatus = st.clientStatus
	}
}

func wantsDistinctHosts(job *structs.Job) bool {
	for _, c := range job.Constraints {
		if c != nil && distinctHostsEnabled(c) {
			return true
		}
	}
	for _, tg := range job.Groups {
		for _, c := range tg.Constraints {
			if c != nil && distinctHostsEnabled(c) {
				return true
			}
		}
	}
	return false
}

func copyMetrics(m map[string]*structs.AllocMetric) map[string]*structs.AllocMetric {
	if m == nil {
		return nil
	}
	c := make(map[string]*structs.AllocMetric, len(m))
	for k, v := range m {
		mc := *v
		c[k] = &mc
	}
	return c
}

// seedFromID derives the node shuffle seed from the evaluation ID, so that
// one evaluation always sees the same order (reproducible plans) while
// different evaluations spread their work.
func seedFromID(id string) uint64 {
	return entryHash('s', id, "")
}

func copyCounts(m map[string]int) map[string]int {
	if m == nil {
		return nil
	}
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
