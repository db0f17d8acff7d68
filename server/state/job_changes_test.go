package state

import (
	"fmt"
	"testing"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// The job change log names the jobs each commit touched, and tells a
// reader that fell behind its bound to read everything again.
func TestJobChangeLog(t *testing.T) {
	s, err := NewStateStore(hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	job := func(id string) *structs.Job {
		return &structs.Job{ID: id, Namespace: "default", Type: structs.JobTypeService, Priority: 50}
	}
	if err := s.Update(1, func(tx *WriteTxn) error { return tx.UpsertJob(1, job("a")) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(2, func(tx *WriteTxn) error { return tx.UpsertJob(2, job("b")) }); err != nil {
		t.Fatal(err)
	}
	changes, next, complete, _ := s.JobChangesSince(1)
	if !complete || next != 2 || len(changes) != 1 || changes[0].ID != "b" {
		t.Fatalf("since 1: %+v next=%d complete=%v, want only b at 2", changes, next, complete)
	}
	if err := s.Update(3, func(tx *WriteTxn) error { return tx.DeleteJob("default", "a") }); err != nil {
		t.Fatal(err)
	}
	if changes, _, _, _ := s.JobChangesSince(2); len(changes) != 1 || changes[0].ID != "a" {
		t.Fatalf("a purge is a change: %+v", changes)
	}
	for i := range jobChangeLogMax + 10 {
		id := fmt.Sprintf("j%d", i)
		if err := s.Update(uint64(10+i), func(tx *WriteTxn) error { return tx.UpsertJob(1, job(id)) }); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, complete, _ := s.JobChangesSince(2); complete {
		t.Fatal("a reader behind the trimmed log must be told to rescan")
	}
	snap, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, complete, _ := snap.JobChangesSince(0); complete {
		t.Fatal("a snapshot keeps no change log")
	}
}
