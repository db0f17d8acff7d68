package client

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// slowSender blocks every call until released, recording the batches.
type slowSender struct {
	mu      sync.Mutex
	batches [][]*structs.AllocStatusUpdate
	entered chan struct{}
	release chan error
}

func (s *slowSender) send(ctx context.Context, batch []*structs.AllocStatusUpdate) error {
	s.mu.Lock()
	s.batches = append(s.batches, batch)
	s.mu.Unlock()
	s.entered <- struct{}{}
	select {
	case err := <-s.release:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func byID(batch []*structs.AllocStatusUpdate) map[string]string {
	m := map[string]string{}
	for _, u := range batch {
		m[u.ID] = u.ClientStatus
	}
	return m
}

func startUpdater(t *testing.T, s *slowSender) *updater {
	u := newUpdater(hclog.NewNullLogger(), s.send)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); u.run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return u
}

func TestUpdater_CoalescesWhileInFlight(t *testing.T) {
	s := &slowSender{entered: make(chan struct{}, 10), release: make(chan error)}
	u := startUpdater(t, s)

	u.put(&structs.AllocStatusUpdate{ID: "a", ClientStatus: structs.AllocClientPending})
	<-s.entered // first call in flight, sent at once
	u.put(&structs.AllocStatusUpdate{ID: "a", ClientStatus: structs.AllocClientRunning})
	u.put(&structs.AllocStatusUpdate{ID: "b", ClientStatus: structs.AllocClientPending})
	u.put(&structs.AllocStatusUpdate{ID: "a", ClientStatus: structs.AllocClientComplete})
	s.release <- nil
	<-s.entered
	s.release <- nil

	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.batches) != 2 {
		t.Fatalf("want 2 calls, got %d", len(s.batches))
	}
	got := byID(s.batches[1])
	if len(got) != 2 || got["a"] != structs.AllocClientComplete || got["b"] != structs.AllocClientPending {
		t.Fatalf("second batch %v", got)
	}
}

func TestUpdater_RetryKeepsLatest(t *testing.T) {
	s := &slowSender{entered: make(chan struct{}, 10), release: make(chan error)}
	u := startUpdater(t, s)

	u.put(&structs.AllocStatusUpdate{ID: "a", ClientStatus: structs.AllocClientRunning})
	u.put(&structs.AllocStatusUpdate{ID: "b", ClientStatus: structs.AllocClientRunning})
	<-s.entered
	// A newer state of a arrives while the failing call is in flight.
	u.put(&structs.AllocStatusUpdate{ID: "a", ClientStatus: structs.AllocClientFailed})
	s.release <- errors.New("no leader")

	select {
	case <-s.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("no retry")
	}
	s.release <- nil
	s.mu.Lock()
	defer s.mu.Unlock()
	got := byID(s.batches[len(s.batches)-1])
	if got["a"] != structs.AllocClientFailed || got["b"] != structs.AllocClientRunning {
		t.Fatalf("retried batch %v", got)
	}
}
