package server

import (
	"context"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// A nacked evaluation waits out a back-off in the delay heap (holding its
// job's slot) instead of going straight back to the workers.
func TestEvalBroker_NackBacksOff(t *testing.T) {
	b := NewEvalBroker(hclog.NewNullLogger(), 3)
	b.SetTiming(EvalBrokerTiming{InitialNackDelay: time.Hour})
	b.SetEnabled(true)
	e := brokerEval("flaky", 50, 1)
	b.Enqueue(e)
	b.Enqueue(brokerEval("flaky", 50, 2)) // waits behind e
	got, tok := dequeue(t, b)
	if _, err := b.Nack(got.ID, tok); err != nil {
		t.Fatal(err)
	}
	ready, unacked, waiting := b.Stats()
	if ready != 0 || unacked != 0 || waiting != 1 || b.Delayed() != 1 {
		t.Fatalf("after a nack: ready=%d unacked=%d waiting=%d delayed=%d, want the evaluation delayed and its job still held",
			ready, unacked, waiting, b.Delayed())
	}
	// Its back-off passes: it comes back, before the job's next one.
	b.releaseDue(time.Now().Add(2 * time.Hour))
	again, _ := dequeue(t, b)
	if again.ID != e.ID {
		t.Fatalf("redelivered %s, want the nacked %s", again.ID, e.ID)
	}
}

// A worker that takes an evaluation and vanishes does not hold it (and its
// job) forever: the nack timeout hands it out again.
func TestEvalBroker_NackTimeoutRedeliversFromAVanishedWorker(t *testing.T) {
	b := NewEvalBroker(hclog.NewNullLogger(), 3)
	b.SetTiming(EvalBrokerTiming{NackTimeout: 100 * time.Millisecond, InitialNackDelay: time.Millisecond})
	b.SetEnabled(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.runDelayed(ctx)
	e := brokerEval("orphan", 50, 1)
	b.Enqueue(e)
	_, lostToken := dequeue(t, b) // the worker never answers
	again, tok := dequeue(t, b)
	if again.ID != e.ID {
		t.Fatalf("got %s, want the orphaned evaluation %s", again.ID, e.ID)
	}
	if err := b.Ack(e.ID, lostToken); err == nil {
		t.Fatal("the vanished worker's token still acks")
	}
	if err := b.Ack(e.ID, tok); err != nil {
		t.Fatal(err)
	}
}

// The broker forgets evaluations it is done with: its memory follows its
// queues, not the cluster's history.
func TestEvalBroker_SeenEvaluationsAreBounded(t *testing.T) {
	b := NewEvalBroker(hclog.NewNullLogger(), 3)
	b.SetEnabled(true)
	for i := range 2000 {
		b.Enqueue(brokerEval("churn", 50, uint64(i+1)))
		e, tok := dequeue(t, b)
		if err := b.Ack(e.ID, tok); err != nil {
			t.Fatal(err)
		}
	}
	b.mu.Lock()
	n := len(b.known)
	b.mu.Unlock()
	if n != 0 {
		t.Fatalf("broker still remembers %d evaluations it acked", n)
	}
}

// An evaluation that keeps failing is written failed with a delayed
// follow-up, so the job is scheduled again later rather than left as is.
func TestWorker_FailedEvaluationGetsAFollowUp(t *testing.T) {
	s := testServer(t, func(c *Config) {
		c.EvalTiming = EvalBrokerTiming{InitialNackDelay: time.Millisecond, SubsequentNackDelay: time.Millisecond, FailedFollowUpDelay: time.Hour}
	})
	now := time.Now().UnixNano()
	bad := &structs.Evaluation{ID: structs.GenerateID(), Namespace: "default", Priority: 50, Type: "no-such-scheduler",
		TriggeredBy: structs.EvalTriggerJobRegister, JobID: "doomed", Status: structs.EvalStatusPending, CreateTime: now, ModifyTime: now}
	if _, err := s.raftApply(structs.EvalUpdateRequestType, &structs.EvalUpdateEntry{Evals: []*structs.Evaluation{bad}}); err != nil {
		t.Fatal(err)
	}
	var failed *structs.Evaluation
	waitFor(t, "evaluation failed after the delivery limit", func() bool {
		failed = getEval(t, s, bad.ID)
		return failed != nil && failed.Status == structs.EvalStatusFailed
	})
	if failed.NextEval == "" {
		t.Fatalf("failed evaluation has no follow-up: %+v", failed)
	}
	next := getEval(t, s, failed.NextEval)
	if next == nil || next.Status != structs.EvalStatusPending || next.TriggeredBy != structs.EvalTriggerRetryFailed ||
		next.PreviousEval != bad.ID || next.WaitUntil <= now {
		t.Fatalf("follow-up = %+v, want a delayed pending failed-follow-up evaluation", next)
	}
}
