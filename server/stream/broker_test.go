package stream

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func ev(topic, key string, index uint64) *Event {
	return &Event{Topic: topic, Type: topic + "Updated", Key: key, Index: index}
}

func TestBrokerResumeAndLoss(t *testing.T) {
	b := NewBroker(4)
	for i := uint64(10); i <= 13; i++ {
		b.Publish(i, []*Event{ev(TopicJob, fmt.Sprint(i), i)})
	}
	b.Publish(14, nil) // an index without events moves LastIndex only
	if b.LastIndex() != 14 || b.Oldest() != 10 {
		t.Fatalf("last %d oldest %d, want 14 and 10", b.LastIndex(), b.Oldest())
	}
	// Resume after 11: 12 and 13, nothing repeated.
	sub, err := b.Subscribe(11, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []uint64
	for {
		batch, ok, err := sub.Next(context.Background(), false)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got = append(got, batch.Index)
	}
	if fmt.Sprint(got) != "[12 13]" {
		t.Fatalf("resumed after 11 got %v, want [12 13]", got)
	}
	// Two more publishes push 10 and 11 out: a cursor at 10 lost index 11.
	b.Publish(15, []*Event{ev(TopicJob, "15", 15)})
	b.Publish(16, []*Event{ev(TopicJob, "16", 16)})
	if _, err := b.Subscribe(10, nil); !errors.Is(err, ErrLost) {
		t.Fatalf("subscribe after evicted index 10: %v, want ErrLost", err)
	}
	if _, err := b.Subscribe(11, nil); err != nil {
		t.Fatalf("subscribe after 11 (12 is still buffered): %v", err)
	}
	// A replayed index is ignored.
	b.Publish(16, []*Event{ev(TopicJob, "again", 16)})
	if b.LastIndex() != 16 {
		t.Fatalf("last index %d after a replay", b.LastIndex())
	}
}

func TestBrokerWakesWaitersAndFilters(t *testing.T) {
	b := NewBroker(0)
	sub, err := b.Subscribe(0, func(e *Event) bool { return e.Topic == TopicAllocation && e.MatchesKey("web") })
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan Batch, 1)
	go func() {
		batch, _, err := sub.Next(context.Background(), true)
		if err != nil {
			t.Error(err)
		}
		got <- batch
	}()
	b.Publish(1, []*Event{ev(TopicJob, "web", 1)})
	other := ev(TopicAllocation, "a2", 2)
	other.FilterKeys = []string{"db"}
	b.Publish(2, []*Event{other})
	mine := ev(TopicAllocation, "a3", 3)
	mine.FilterKeys = []string{"web"}
	b.Publish(3, []*Event{ev(TopicJob, "web", 3), mine})
	select {
	case batch := <-got:
		if batch.Index != 3 || len(batch.Events) != 1 || batch.Events[0].Key != "a3" {
			t.Fatalf("got %+v, want index 3 with only allocation a3", batch)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the waiting subscriber was never woken")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := sub.Next(ctx, true); !errors.Is(err, context.Canceled) {
		t.Fatalf("next on a cancelled context: %v", err)
	}
}

// BenchmarkPublishWith100Subscribers measures what publishing costs the
// FSM's apply loop with 100 subscribers reading every batch: it should
// match BenchmarkPublishNoSubscribers, since publishing never waits on
// them.
func BenchmarkPublishWith100Subscribers(b *testing.B) { benchPublish(b, 100) }

func BenchmarkPublishNoSubscribers(b *testing.B) { benchPublish(b, 0) }

func benchPublish(b *testing.B, subscribers int) {
	br := NewBroker(0)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < subscribers; i++ {
		sub, err := br.Subscribe(0, nil)
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				batch, _, err := sub.Next(ctx, true)
				if err != nil {
					return
				}
				// Encode as a stream writer would (once per event, shared).
				for _, e := range batch.Events {
					_, _ = e.MarshalJSON()
				}
			}
		}()
	}
	events := make([][]*Event, b.N)
	for i := range events {
		events[i] = []*Event{ev(TopicAllocation, fmt.Sprint(i), uint64(i+1))}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		br.Publish(uint64(i+1), events[i])
	}
	b.StopTimer()
	cancel()
	wg.Wait()
}

// TestLaggedSubscriberDropped: a subscriber that reads slower than the
// buffer turns over is dropped with a "lagged" error naming the last
// index it read, while publishing goes on without waiting for it.
func TestLaggedSubscriberDropped(t *testing.T) {
	b := NewBroker(3)
	b.Publish(1, []*Event{ev(TopicJob, "1", 1)})
	sub, err := b.Subscribe(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(2); i <= 6; i++ {
		b.Publish(i, []*Event{ev(TopicJob, fmt.Sprint(i), i)})
	}
	_, _, err = sub.Next(context.Background(), false)
	if !errors.Is(err, ErrLost) || !strings.Contains(err.Error(), "lagged") || !strings.Contains(err.Error(), "index 1,") {
		t.Fatalf("a subscriber 5 indexes behind a 3-batch buffer: %v, want a lagged ErrLost naming index 1", err)
	}
}

// TestPeek: a wait ends with nothing when its timer fires (a stream's
// heartbeat), and with the publish time of the next batch the filter
// keeps when one is published meanwhile, without taking it; batches the
// filter keeps nothing of are passed over; an ended ctx ends it.
func TestPeek(t *testing.T) {
	b := NewBroker(4)
	now := fakeClock(b)
	sub, err := b.Subscribe(0, func(e *Event) bool { return e.Key != "skip" })
	if err != nil {
		t.Fatal(err)
	}
	timer := time.NewTimer(10 * time.Millisecond)
	defer timer.Stop()
	if at, ok, err := sub.Peek(context.Background(), timer.C); ok || err != nil {
		t.Fatalf("timer fired: got %v ok %v err %v, want nothing", at, ok, err)
	}
	timer.Reset(time.Hour)
	*now = 30 * time.Millisecond
	b.Publish(6, []*Event{ev(TopicJob, "skip", 6)})
	*now = 40 * time.Millisecond
	go b.Publish(7, []*Event{ev(TopicJob, "7", 7)})
	at, ok, err := sub.Peek(context.Background(), timer.C)
	if err != nil || !ok || at != 40*time.Millisecond {
		t.Fatalf("published 7 at 40ms: got %v ok %v err %v", at, ok, err)
	}
	if batch, ok, _ := sub.Next(context.Background(), false); !ok || batch.Index != 7 {
		t.Fatalf("after Peek the next batch is %d (ok %v), want 7 still there", batch.Index, ok)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := sub.Peek(ctx, timer.C); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended context: err %v, want context.Canceled", err)
	}
}
