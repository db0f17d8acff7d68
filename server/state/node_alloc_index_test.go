package state

import (
	"bytes"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func TestNodeAllocsIndex_OnlyServerSideChangesMoveIt(t *testing.T) {
	s := testStore(t)
	job := mockJob("web")
	if err := s.UpsertJob(10, 1, job); err != nil {
		t.Fatal(err)
	}
	a := mockAlloc("a1", job, "n1")
	if err := s.UpsertPlanResults(11, &structs.ApplyPlanResultsEntry{AllocsPlaced: []*structs.Allocation{a}, Time: 1}); err != nil {
		t.Fatal(err)
	}
	if idx := changeIndex(s, "n1"); idx != 11 {
		t.Fatalf("after a placement: %d, want 11", idx)
	}
	report := []*structs.AllocStatusUpdate{{ID: "a1", ClientStatus: structs.AllocClientRunning, ModifyTime: 2}}
	if err := s.UpdateAllocsFromClient(12, report); err != nil {
		t.Fatal(err)
	}
	if idx := changeIndex(s, "n1"); idx != 11 {
		t.Fatalf("a client's own report moved the index to %d", idx)
	}
	stop := &structs.Allocation{ID: "a1", DesiredStatus: structs.AllocDesiredStop}
	if err := s.UpsertPlanResults(13, &structs.ApplyPlanResultsEntry{AllocsStopped: []*structs.Allocation{stop}, Time: 3}); err != nil {
		t.Fatal(err)
	}
	if idx := changeIndex(s, "n1"); idx != 13 {
		t.Fatalf("after a stop: %d, want 13", idx)
	}

	// Not persisted, but rebuilt on restore from the allocations.
	snap, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := snap.Persist(&buf); err != nil {
		t.Fatal(err)
	}
	restored, err := Restore(&buf, s.logger)
	if err != nil {
		t.Fatal(err)
	}
	if idx := changeIndex(restored, "n1"); idx != 13 {
		t.Fatalf("after restore: %d, want 13", idx)
	}
}

// changeIndex is the node's latest server-side change, as a client's
// watch sees it.
func changeIndex(s *StateStore, nodeID string) uint64 {
	_, _, idx, _ := s.NodeAllocChanges(nil, nodeID, 0)
	return idx
}
