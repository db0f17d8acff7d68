package server

import (
	"context"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

func brokerEval(job string, prio int, idx uint64) *structs.Evaluation {
	return &structs.Evaluation{ID: structs.GenerateID(), Namespace: "default", JobID: job,
		Priority: prio, Status: structs.EvalStatusPending, CreateIndex: idx}
}

func dequeue(t *testing.T, b *EvalBroker) (*structs.Evaluation, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, tok, err := b.Dequeue(ctx)
	if err != nil {
		t.Fatalf("dequeue: %v", err)
	}
	return e, tok
}

func TestEvalBroker_PriorityThenAge(t *testing.T) {
	b := NewEvalBroker(hclog.NewNullLogger(), 3)
	b.SetEnabled(true)
	low, high, older := brokerEval("a", 10, 5), brokerEval("b", 90, 6), brokerEval("c", 10, 1)
	for _, e := range []*structs.Evaluation{low, high, older} {
		b.Enqueue(e)
	}
	for _, want := range []*structs.Evaluation{high, older, low} {
		got, tok := dequeue(t, b)
		if got.ID != want.ID {
			t.Fatalf("dequeued job %s, want %s", got.JobID, want.JobID)
		}
		if err := b.Ack(got.ID, tok); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEvalBroker_OneEvalPerJobInFlight(t *testing.T) {
	b := NewEvalBroker(hclog.NewNullLogger(), 3)
	b.SetEnabled(true)
	first, second := brokerEval("same", 50, 1), brokerEval("same", 50, 2)
	b.Enqueue(first)
	b.Enqueue(second)
	b.Enqueue(first) // a duplicate is ignored
	got, tok := dequeue(t, b)
	if ready, unacked, waiting := b.Stats(); ready != 0 || unacked != 1 || waiting != 1 {
		t.Fatalf("stats ready=%d unacked=%d waiting=%d", ready, unacked, waiting)
	}
	if err := b.Ack(got.ID, tok); err != nil {
		t.Fatal(err)
	}
	next, _ := dequeue(t, b)
	if next.ID != second.ID {
		t.Fatalf("second evaluation of the job was not released after the ack")
	}
}

func TestEvalBroker_NackRequeuesUntilDeliveryLimit(t *testing.T) {
	b := NewEvalBroker(hclog.NewNullLogger(), 2)
	b.SetTiming(EvalBrokerTiming{InitialNackDelay: time.Millisecond})
	b.SetEnabled(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.runDelayed(ctx)
	b.Enqueue(brokerEval("flaky", 50, 1))
	e, tok := dequeue(t, b)
	if requeued, err := b.Nack(e.ID, tok); err != nil || !requeued {
		t.Fatalf("first nack: requeued=%v err=%v", requeued, err)
	}
	e, tok = dequeue(t, b)
	if requeued, err := b.Nack(e.ID, tok); err != nil || requeued {
		t.Fatalf("nack at the delivery limit: requeued=%v err=%v", requeued, err)
	}
	if err := b.Ack(e.ID, "wrong"); err == nil {
		t.Fatal("ack of an evaluation that is not outstanding succeeded")
	}
}

func TestEvalBroker_DisabledDropsEverything(t *testing.T) {
	b := NewEvalBroker(hclog.NewNullLogger(), 3)
	b.Enqueue(brokerEval("x", 50, 1)) // disabled: ignored
	b.SetEnabled(true)
	if ready, _, _ := b.Stats(); ready != 0 {
		t.Fatalf("disabled broker kept %d evaluations", ready)
	}
	b.Enqueue(brokerEval("x", 50, 2))
	b.SetEnabled(false)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := b.Dequeue(ctx); err == nil {
		t.Fatal("dequeue from a disabled broker returned an evaluation")
	}
}
