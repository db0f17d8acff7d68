package server

import (
	"bytes"
	"errors"
	"sync/atomic"
	"testing"
)

// failFirst returns a fault that fails the first n calls.
func failFirst(n int64) (func() error, *atomic.Int64) {
	var calls atomic.Int64
	return func() error {
		if calls.Add(1) <= n {
			return errors.New("injected: leader duties failed to start")
		}
		return nil
	}, &calls
}

// A lone server whose leader duties fail to start has no one to hand
// leadership to: it must try again, not lead without workers.
func TestLeader_FailedEstablishIsRetriedOnALoneServer(t *testing.T) {
	fault, calls := failFirst(2)
	s := testServer(t, func(c *Config) { c.failEstablish = fault })
	registerNode(t, s, testNode("n1", 4000, 4096))
	registerJob(t, s, testJob("web", 1, 64))
	waitFor(t, "placed by workers started on a later try", func() bool {
		return liveAllocs(jobAllocs(t, s, "web")) == 1
	})
	if calls.Load() < 3 {
		t.Fatalf("establishLeadership ran %d times, want at least 3", calls.Load())
	}
}

// After a snapshot restore the leader rebuilds its duties; a failure
// there is retried too.
func TestLeader_FailedEstablishAfterRestoreIsRetried(t *testing.T) {
	var failing atomic.Bool
	var fails atomic.Int64
	s := testServer(t, func(c *Config) {
		c.failEstablish = func() error {
			if failing.Load() && fails.Add(1) <= 2 {
				return errors.New("injected: leader duties failed to start after restore")
			}
			return nil
		}
	})
	registerNode(t, s, testNode("n1", 4000, 4096))
	var snap bytes.Buffer
	if err := s.SnapshotSave(&snap); err != nil {
		t.Fatal(err)
	}
	failing.Store(true)
	if err := s.SnapshotRestore(&snap); err == nil {
		t.Fatal("restore should report that the leader duties failed to restart")
	}
	registerJob(t, s, testJob("web", 1, 64))
	waitFor(t, "placed after the restore", func() bool {
		return liveAllocs(jobAllocs(t, s, "web")) == 1
	})
}
