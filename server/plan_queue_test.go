package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// A plan whose worker gave up (its leadership term ended) must never reach
// the next term's applier: its evaluation is scheduled again, and applying
// both placed a job's allocations twice (seen with the simulator's
// 3-server cluster under leader churn).
func TestPlanQueue_StalePlansAreNotApplied(t *testing.T) {
	q := NewPlanQueue()
	q.SetEnabled(true)

	// Term 1: a worker submits, then its term ends before any applier
	// takes the plan.
	termCtx, endTerm := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := q.Submit(termCtx, &structs.Plan{EvalID: "stale"})
		errc <- err
	}()
	waitFor(t, "plan queued", func() bool { return len(q.ch) == 1 })
	endTerm()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("worker got %v, want context.Canceled", err)
	}
	// A plan that slipped in is skipped by next, even without SetEnabled.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if p, ok := q.next(ctx); ok {
		t.Fatalf("the next term's applier got the stale plan of eval %q", p.plan.EvalID)
	}

	// Closing the queue answers what is still queued.
	p := &pendingPlan{ctx: context.Background(), plan: &structs.Plan{EvalID: "queued"}, result: make(chan planOutcome, 1)}
	q.ch <- p
	q.SetEnabled(false)
	if out := <-p.result; !errors.Is(out.err, errPlanQueueDisabled) {
		t.Fatalf("queued plan answered %v, want errPlanQueueDisabled", out.err)
	}
	if len(q.ch) != 0 {
		t.Fatalf("%d plan(s) left in a closed queue", len(q.ch))
	}

	// A live plan still goes through.
	q.SetEnabled(true)
	go func() { _, _ = q.Submit(context.Background(), &structs.Plan{EvalID: "live"}) }()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel2()
	got, ok := q.next(ctx2)
	if !ok || got.plan.EvalID != "live" {
		t.Fatalf("live plan not delivered: %v %v", got, ok)
	}
	got.result <- planOutcome{}
}
