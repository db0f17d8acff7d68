package state

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// MarkAllocsUnknown sets live allocations unknown with the time their
// window starts, skips ended or missing ones, and a later client report
// replaces unknown with the real status.
func TestMarkAllocsUnknown(t *testing.T) {
	s := testStore(t)
	job := mockJob("web")
	must(t, s.UpsertJob(1, 1, job))
	done := mockAlloc("a2", job, "n1")
	done.ClientStatus = structs.AllocClientComplete
	must(t, s.UpsertPlanResults(10, &structs.ApplyPlanResultsEntry{
		AllocsPlaced: []*structs.Allocation{mockAlloc("a1", job, "n1"), done}, EvalID: "e1", Time: 1000,
	}))
	must(t, s.UpdateAllocsFromClient(11, []*structs.AllocStatusUpdate{{ID: "a2", ClientStatus: structs.AllocClientComplete}}))
	must(t, s.Update(12, func(tx *WriteTxn) error { return tx.MarkAllocsUnknown([]string{"a1", "a2", "gone"}, 5000) }))

	a1, err := s.AllocByID(nil, "a1")
	must(t, err)
	if a1.ClientStatus != structs.AllocClientUnknown || a1.DisconnectedAt != 5000 || a1.DesiredStatus != structs.AllocDesiredRun ||
		a1.ModifyIndex != 12 || a1.AllocModifyIndex == 12 {
		t.Fatalf("a1 = %s", asJSON(t, a1))
	}
	if a2, _ := s.AllocByID(nil, "a2"); a2.ClientStatus != structs.AllocClientComplete {
		t.Fatalf("an ended allocation became %s", a2.ClientStatus)
	}
	must(t, s.UpdateAllocsFromClient(13, []*structs.AllocStatusUpdate{{ID: "a1", ClientStatus: structs.AllocClientRunning}}))
	if a1, _ = s.AllocByID(nil, "a1"); a1.ClientStatus != structs.AllocClientRunning {
		t.Fatalf("after the client's report: %s", a1.ClientStatus)
	}
}
