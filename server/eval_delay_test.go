package server

import (
	"context"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// A delayed evaluation is not handed out before its WaitUntil, does not
// hold its job's slot meanwhile, and is handed out once due.
func TestEvalBroker_DelayedEvalWaits(t *testing.T) {
	b := NewEvalBroker(hclog.NewNullLogger(), 3)
	b.SetEnabled(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.runDelayed(ctx)

	delayed := brokerEval("web", 50, 1)
	delayed.WaitUntil = time.Now().Add(300 * time.Millisecond).UnixNano()
	b.Enqueue(delayed)
	if ready, _, _ := b.Stats(); ready != 0 || b.Delayed() != 1 {
		t.Fatalf("ready %d, delayed %d; want 0 and 1", ready, b.Delayed())
	}
	// The same job's undelayed evaluation runs at once.
	now := brokerEval("web", 50, 2)
	b.Enqueue(now)
	got, tok := dequeue(t, b)
	if got.ID != now.ID {
		t.Fatalf("dequeued %s, want the undelayed evaluation", got.ID)
	}
	if err := b.Ack(got.ID, tok); err != nil {
		t.Fatal(err)
	}
	got, _ = dequeue(t, b)
	if got.ID != delayed.ID {
		t.Fatalf("dequeued %s, want the delayed evaluation", got.ID)
	}
	if time.Now().UnixNano() < delayed.WaitUntil {
		t.Fatal("the delayed evaluation was handed out before its WaitUntil")
	}
}

// Delayed evaluations come out in WaitUntil order; one in the past is
// ready at once.
func TestEvalBroker_DelayedOrderAndPast(t *testing.T) {
	b := NewEvalBroker(hclog.NewNullLogger(), 3)
	b.SetEnabled(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.runDelayed(ctx)

	base := time.Now()
	later, sooner, past := brokerEval("a", 50, 1), brokerEval("b", 50, 2), brokerEval("c", 10, 3)
	later.WaitUntil = base.Add(400 * time.Millisecond).UnixNano()
	sooner.WaitUntil = base.Add(200 * time.Millisecond).UnixNano()
	past.WaitUntil = base.Add(-time.Minute).UnixNano()
	for _, e := range []*structs.Evaluation{later, sooner, past} {
		b.Enqueue(e)
	}
	for _, want := range []*structs.Evaluation{past, sooner, later} {
		got, tok := dequeue(t, b)
		if got.ID != want.ID {
			t.Fatalf("dequeued job %s, want %s", got.JobID, want.JobID)
		}
		_ = b.Ack(got.ID, tok)
	}
}

// Canceling drops only the job's delayed evaluations of older versions
// (or all of them), and disabling the broker forgets the heap: a new
// leader rebuilds it from the state.
func TestEvalBroker_CancelDelayed(t *testing.T) {
	b := NewEvalBroker(hclog.NewNullLogger(), 3)
	b.SetEnabled(true)
	far := time.Now().Add(time.Hour).UnixNano()
	old, cur, other := brokerEval("web", 50, 1), brokerEval("web", 50, 2), brokerEval("db", 50, 3)
	old.JobModifyIndex, cur.JobModifyIndex = 5, 9
	for _, e := range []*structs.Evaluation{old, cur, other} {
		e.WaitUntil = far
		b.Enqueue(e)
	}
	b.CancelDelayed("default", "web", 9, false)
	if c := b.TakeCanceledDelayed(); len(c) != 1 || c[0].ID != old.ID || b.Delayed() != 2 {
		t.Fatalf("canceled %v, %d left; want only the older version's", c, b.Delayed())
	}
	b.CancelDelayed("default", "web", 0, true)
	if c := b.TakeCanceledDelayed(); len(c) != 1 || c[0].ID != cur.ID || b.Delayed() != 1 {
		t.Fatalf("canceled %v, %d left after a stop", c, b.Delayed())
	}
	b.SetEnabled(false)
	b.SetEnabled(true)
	if b.Delayed() != 0 {
		t.Fatalf("%d delayed evaluations survived disabling", b.Delayed())
	}
}
