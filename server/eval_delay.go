package server

import (
	"container/heap"
	"context"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// Delayed evaluations: a pending evaluation with a WaitUntil in the future
// (a failed allocation waiting for its reschedule delay) stays in the
// broker's delay heap, not in the ready queue, so it neither runs early nor
// holds its job's slot. The heap lives only on the leader; the evaluations
// are in the state store, so a new leader rebuilds it in restoreEvals.

func (b *EvalBroker) pushDelayedLocked(eval *structs.Evaluation) {
	heap.Push(&b.delayed, eval)
	b.signalDelayLocked()
}

// signalDelayLocked wakes the delay loop so that it re-reads the head.
func (b *EvalBroker) signalDelayLocked() {
	if b.delayWake != nil {
		close(b.delayWake)
	}
	b.delayWake = make(chan struct{})
}

// runDelayed moves delayed evaluations to the ready queue when their time
// comes. It is a leader goroutine: it ends with ctx.
func (b *EvalBroker) runDelayed(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait, wake := b.releaseDue(time.Now())
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-timer.C:
		}
	}
}

// releaseDue admits every evaluation whose time has come and returns how
// long to wait for the next one, and the channel that signals a change.
func (b *EvalBroker) releaseDue(now time.Time) (time.Duration, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.delayed.Len() > 0 && b.delayed[0].WaitUntil <= now.UnixNano() {
		eval := heap.Pop(&b.delayed).(*structs.Evaluation)
		if b.enabled {
			b.admitLocked(eval)
		}
	}
	wait := time.Hour
	if b.delayed.Len() > 0 {
		wait = time.Duration(b.delayed[0].WaitUntil - now.UnixNano())
	}
	return wait, b.delayWake
}

// CancelDelayed drops the delayed evaluations of a job that were created
// for an older job version (JobModifyIndex below jobModifyIndex), or all of
// them when the job is stopped or gone (all). They are handed to the leader
// through TakeCanceledDelayed to be written as canceled.
func (b *EvalBroker) CancelDelayed(namespace, jobID string, jobModifyIndex uint64, all bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.delayed) == 0 {
		return
	}
	kept := b.delayed[:0]
	for _, e := range b.delayed {
		if e.Namespace == namespace && e.JobID == jobID && (all || e.JobModifyIndex < jobModifyIndex) {
			b.canceledDelayed = append(b.canceledDelayed, e)
			delete(b.known, e.ID)
			if key := (jobKey{namespace, jobID}); b.inFlight[key] == e.ID {
				// A nacked evaluation waiting out its back-off holds
				// the job's slot: hand it to the next one.
				delete(b.deliveries, e.ID)
				b.releaseJobLocked(key)
			}
			continue
		}
		kept = append(kept, e)
	}
	for i := len(kept); i < len(b.delayed); i++ {
		b.delayed[i] = nil
	}
	b.delayed = kept
	heap.Init(&b.delayed)
	b.signalDelayLocked()
}

// TakeCanceledDelayed returns and forgets the canceled delayed evaluations.
func (b *EvalBroker) TakeCanceledDelayed() []*structs.Evaluation {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.canceledDelayed
	b.canceledDelayed = nil
	return out
}

// Delayed reports how many evaluations wait in the delay heap.
func (b *EvalBroker) Delayed() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.delayed.Len()
}

// delayHeap orders evaluations by WaitUntil, earliest first.
type delayHeap []*structs.Evaluation

func (h delayHeap) Len() int           { return len(h) }
func (h delayHeap) Less(i, j int) bool { return h[i].WaitUntil < h[j].WaitUntil }
func (h delayHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *delayHeap) Push(x any)        { *h = append(*h, x.(*structs.Evaluation)) }
func (h *delayHeap) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return e
}

// cancelStaleDelayedEvals is called (leader, from the FSM listener) for
// every evaluation written: a job registration or stop makes the job's
// delayed reschedules of older versions pointless. The scheduler would
// find nothing to do for them, but canceling keeps `job status` honest.
func (s *Server) cancelStaleDelayedEvals(e *structs.Evaluation) {
	if e.TriggeredBy != structs.EvalTriggerJobRegister && e.TriggeredBy != structs.EvalTriggerJobDeregister {
		return
	}
	if s.broker.Delayed() == 0 {
		return // the common case: nothing waits, no state read
	}
	job, err := s.State().JobByID(nil, e.Namespace, e.JobID)
	if err != nil {
		s.logger.Warn("cannot read job to cancel its delayed evaluations", "job_id", e.JobID, "error", err)
		return
	}
	if job == nil || job.Stop {
		s.broker.CancelDelayed(e.Namespace, e.JobID, 0, true)
		return
	}
	s.broker.CancelDelayed(e.Namespace, e.JobID, job.JobModifyIndex, false)
}

// writeCanceledDelayed writes canceled delayed evaluations through Raft.
func (s *Server) writeCanceledDelayed(ctx context.Context) {
	s.cancelEvalsEvery(ctx, s.broker.TakeCanceledDelayed, "reschedule canceled: the job was updated or stopped")
}
