package fsm

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// A batch entry applies its plans in order, in one transaction at one index.
func TestApplyPlanBatch(t *testing.T) {
	f := testFSM(t)
	job := mockJob("web", structs.JobTypeService)
	apply(t, f, 2, structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: job})
	apply(t, f, 3, structs.ApplyPlanBatchRequestType, &structs.ApplyPlanBatchEntry{Plans: []*structs.ApplyPlanResultsEntry{
		{EvalID: "e1", Time: 1, AllocsPlaced: []*structs.Allocation{mockAlloc("a1", job, "n1", 0)}},
		{EvalID: "e2", Time: 2, AllocsPlaced: []*structs.Allocation{mockAlloc("a2", job, "n2", 1)},
			// A later plan of the batch may stop what an earlier one placed.
			AllocsStopped: []*structs.Allocation{{ID: "a1", DesiredStatus: structs.AllocDesiredStop}}},
	}})
	a1, _ := f.State().AllocByID(nil, "a1")
	a2, _ := f.State().AllocByID(nil, "a2")
	if a1 == nil || a2 == nil {
		t.Fatalf("allocations after the batch: a1 %v, a2 %v", a1, a2)
	}
	if a1.DesiredStatus != structs.AllocDesiredStop || a1.CreateIndex != 3 || a2.AllocModifyIndex != 3 {
		t.Fatalf("batch not applied in order at index 3: a1 %+v, a2 %+v", a1, a2)
	}
	u, _ := f.State().NodeUsage(nil, "n1")
	if u.Live != 0 {
		t.Fatalf("node n1 still counts the stopped allocation: %+v", u)
	}

	// A malformed batch writes nothing.
	body := encode(t, structs.ApplyPlanBatchRequestType, &structs.ApplyPlanBatchEntry{Plans: []*structs.ApplyPlanResultsEntry{
		{EvalID: "e3", AllocsPlaced: []*structs.Allocation{mockAlloc("a3", job, "n1", 2)}}, nil}})
	if err := f.applyPlanBatch(4, body[1:]); err == nil {
		t.Fatal("a batch with an empty plan entry was applied")
	}
	if a3, _ := f.State().AllocByID(nil, "a3"); a3 != nil {
		t.Fatalf("half of a refused batch was written: %+v", a3)
	}
}
