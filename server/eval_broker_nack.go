package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// EvalBrokerTiming tunes how the broker retries evaluations.
type EvalBrokerTiming struct {
	// NackTimeout: an evaluation handed to a worker that neither acks,
	// nacks nor makes progress (submits a plan) within it is nacked, so a
	// vanished or stuck worker does not hold its job forever.
	NackTimeout time.Duration
	// InitialNackDelay is the wait before the first redelivery after a
	// nack; SubsequentNackDelay before each later one. A failing
	// evaluation so does not spin the workers.
	InitialNackDelay    time.Duration
	SubsequentNackDelay time.Duration
	// FailedFollowUpDelay is how long after an evaluation failed (delivery
	// limit reached) its follow-up evaluation runs, plus a random jitter of
	// up to the same again so that many failures do not retry at once.
	FailedFollowUpDelay time.Duration
}

// DefaultEvalBrokerTiming returns the production timing.
func DefaultEvalBrokerTiming() EvalBrokerTiming {
	return EvalBrokerTiming{
		NackTimeout:         60 * time.Second,
		InitialNackDelay:    time.Second,
		SubsequentNackDelay: 20 * time.Second,
		FailedFollowUpDelay: time.Minute,
	}
}

// SetTiming replaces the broker's timing (zero fields keep their value).
func (b *EvalBroker) SetTiming(t EvalBrokerTiming) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.NackTimeout > 0 {
		b.timing.NackTimeout = t.NackTimeout
	}
	if t.InitialNackDelay > 0 {
		b.timing.InitialNackDelay = t.InitialNackDelay
	}
	if t.SubsequentNackDelay > 0 {
		b.timing.SubsequentNackDelay = t.SubsequentNackDelay
	}
	if t.FailedFollowUpDelay > 0 {
		b.timing.FailedFollowUpDelay = t.FailedFollowUpDelay
	}
}

// nackTimerFor starts the nack timeout of one delivery.
func (b *EvalBroker) nackTimerFor(evalID, token string) *time.Timer {
	return time.AfterFunc(b.timing.NackTimeout, func() {
		if _, err := b.Nack(evalID, token); err == nil {
			b.logger.Warn("evaluation not acknowledged within the nack timeout; redelivering", "eval_id", evalID, "timeout", b.timing.NackTimeout)
		}
	})
}

// Touch tells the broker the worker holding the evaluation is making
// progress: its nack timeout starts again.
func (b *EvalBroker) Touch(evalID, token string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.unacked[evalID]
	if !ok || u.token != token {
		return fmt.Errorf("evaluation %s is not outstanding with this token", evalID)
	}
	u.nackTimer.Reset(b.timing.NackTimeout)
	return nil
}

// requeueLocked puts a nacked evaluation back after its back-off. It goes
// through the delay heap as a copy whose WaitUntil is the end of the
// back-off; the job's slot stays with it.
func (b *EvalBroker) requeueLocked(eval *structs.Evaluation, deliveries int) {
	delay := b.timing.SubsequentNackDelay
	if deliveries <= 1 {
		delay = b.timing.InitialNackDelay
	}
	c := *eval
	c.WaitUntil = time.Now().Add(delay).UnixNano()
	b.pushDelayedLocked(&c)
}

// TakeFailed returns and forgets the evaluations that reached the delivery
// limit.
func (b *EvalBroker) TakeFailed() []*structs.Evaluation {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.failed
	b.failed = nil
	return out
}

// writeFailedEvals is a leader goroutine: every evaluation that reached
// the delivery limit is written as failed, together with a follow-up
// evaluation of the job that waits FailedFollowUpDelay (plus jitter), in
// one Raft entry. The job so gets scheduled again later instead of being
// left as the failed evaluation found it.
func (s *Server) writeFailedEvals(ctx context.Context) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, e := range s.broker.TakeFailed() {
			failed, next := s.failedWithFollowUp(e, time.Now())
			entry := &structs.EvalUpdateEntry{Evals: []*structs.Evaluation{failed, next}}
			if _, err := s.raftApply(structs.EvalUpdateRequestType, entry); err != nil {
				s.logger.Error("write failed evaluation and its follow-up", "eval_id", e.ID, "job_id", e.JobID, "error", err)
				continue
			}
			s.logger.Warn("evaluation failed after the delivery limit; follow-up scheduled",
				"eval_id", e.ID, "job_id", e.JobID, "follow_up", next.ID, "at", time.Unix(0, next.WaitUntil))
		}
	}
}

// failedWithFollowUp returns e marked failed and its follow-up.
func (s *Server) failedWithFollowUp(e *structs.Evaluation, now time.Time) (*structs.Evaluation, *structs.Evaluation) {
	s.broker.mu.Lock()
	base := s.broker.timing.FailedFollowUpDelay
	s.broker.mu.Unlock()
	wait := base + time.Duration(rand.Int64N(int64(base)+1))
	next := &structs.Evaluation{
		ID: structs.GenerateID(), Namespace: e.Namespace, Priority: e.Priority, Type: e.Type,
		TriggeredBy: structs.EvalTriggerRetryFailed, JobID: e.JobID, JobModifyIndex: e.JobModifyIndex,
		NodeID: e.NodeID, Status: structs.EvalStatusPending, PreviousEval: e.ID,
		WaitUntil: now.Add(wait).UnixNano(), CreateTime: now.UnixNano(), ModifyTime: now.UnixNano(),
	}
	failed := e.Copy()
	failed.Status = structs.EvalStatusFailed
	failed.StatusDescription = fmt.Sprintf("evaluation reached the delivery limit; follow-up %s runs after %v", next.ID, wait.Round(time.Second))
	failed.NextEval = next.ID
	failed.WaitUntil = 0
	failed.ModifyTime = now.UnixNano()
	return failed, next
}
