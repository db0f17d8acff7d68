package server

import (
	"context"
	"errors"
	"fmt"
	"github.com/appmesh/appmesh/metrics"
	"time"

	"github.com/appmesh/appmesh/server/scheduler"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// worker takes evaluations from the broker and runs the scheduler on a state
// snapshot. It is the scheduler's Planner: plans go to the plan applier,
// evaluation updates through Raft.
type worker struct {
	srv    *Server
	logger hclog.Logger
	ctx    context.Context

	// Set while processing one evaluation.
	eval          *structs.Evaluation
	token         string
	snapshotIndex uint64
}

var _ scheduler.Planner = (*worker)(nil)

func (w *worker) run() {
	for {
		eval, token, err := w.srv.broker.Dequeue(w.ctx)
		if err != nil {
			return // leadership lost or shutting down
		}
		w.process(eval, token)
	}
}

func (w *worker) process(eval *structs.Evaluation, token string) {
	start := time.Now()
	defer metrics.Since(metrics.SchedulerEval.WithLabelValues(eval.Type), start)
	w.eval, w.token = eval, token
	err := w.invokeScheduler(eval)
	if err == nil {
		if err := w.srv.broker.Ack(eval.ID, token); err != nil {
			w.logger.Warn("ack evaluation", "eval_id", eval.ID, "error", err)
		}
		w.logger.Debug("evaluation processed", "eval_id", eval.ID, "job_id", eval.JobID, "duration", time.Since(start))
		return
	}
	w.logger.Error("scheduler failed", "eval_id", eval.ID, "job_id", eval.JobID, "error", err)
	// Past the delivery limit the broker hands the evaluation to the
	// leader, which writes it failed with a follow-up (eval_broker_nack.go).
	if _, nerr := w.srv.broker.Nack(eval.ID, token); nerr != nil {
		w.logger.Warn("nack evaluation", "eval_id", eval.ID, "error", nerr)
	}
}

func (w *worker) invokeScheduler(eval *structs.Evaluation) error {
	snap, err := w.srv.State().Snapshot()
	if err != nil {
		return fmt.Errorf("snapshot state: %w", err)
	}
	if w.snapshotIndex, err = snap.LatestIndex(); err != nil {
		return err
	}
	sched, err := scheduler.NewScheduler(eval.Type, w.logger, stateView{snap}, w)
	if err != nil {
		return fmt.Errorf("scheduler for type %q: %w", eval.Type, err)
	}
	return sched.Process(eval.Copy())
}

// SubmitPlan sends the plan to the leader's plan applier and waits.
func (w *worker) SubmitPlan(plan *structs.Plan) (*structs.PlanResult, scheduler.State, error) {
	plan.EvalID = w.eval.ID
	plan.SnapshotIndex = w.snapshotIndex
	// A plan is progress: the broker's nack timeout starts again.
	_ = w.srv.broker.Touch(w.eval.ID, w.token)
	result, err := w.srv.planQueue.Submit(w.ctx, plan)
	if err != nil {
		return nil, nil, err
	}
	observePlanResult(w.eval.Type, plan, result)
	if result.RefreshIndex == 0 {
		return result, nil, nil
	}
	ctx, cancel := context.WithTimeout(w.ctx, 5*time.Second)
	defer cancel()
	if err := w.srv.waitForIndex(ctx, result.RefreshIndex); err != nil {
		return nil, nil, err
	}
	snap, err := w.srv.State().Snapshot()
	if err != nil {
		return nil, nil, err
	}
	w.snapshotIndex, _ = snap.LatestIndex()
	return result, stateView{snap}, nil
}

// UpdateEval writes the evaluation's new status.
func (w *worker) UpdateEval(eval *structs.Evaluation) error {
	eval.ModifyTime = time.Now().UnixNano()
	_, err := w.srv.raftApply(structs.EvalUpdateRequestType, &structs.EvalUpdateEntry{Evals: []*structs.Evaluation{eval}})
	if err != nil {
		return fmt.Errorf("update evaluation %s: %w", eval.ID, err)
	}
	return nil
}

// CreateEval writes a follow-up evaluation (e.g. blocked), stamped with the
// snapshot index it was planned from so capacity changes are not missed.
func (w *worker) CreateEval(eval *structs.Evaluation) error {
	if eval.SnapshotIndex == 0 {
		eval.SnapshotIndex = w.snapshotIndex
	}
	if eval.CreateTime == 0 {
		eval.CreateTime = time.Now().UnixNano()
	}
	return w.UpdateEval(eval)
}

var errPlanQueueDisabled = errors.New("plan queue is not accepting plans: not the leader")
