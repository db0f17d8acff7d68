package state

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func jobStatus(t *testing.T, s *StateStore, id string) (string, uint64, uint64) {
	t.Helper()
	j, err := s.JobByID(nil, "default", id)
	must(t, err)
	if j == nil {
		t.Fatalf("job %q missing", id)
	}
	return j.Status, j.ModifyIndex, j.JobModifyIndex
}

func TestServiceJobStatusLifecycle(t *testing.T) {
	s := testStore(t)
	job := mockJob("web")
	must(t, s.Update(1, func(tx *WriteTxn) error {
		must(t, tx.UpsertJob(1, job))
		return tx.UpsertEvals([]*structs.Evaluation{mockEval("e1", job, structs.EvalStatusPending)})
	}))
	if st, _, _ := jobStatus(t, s, "web"); st != structs.JobStatusPending {
		t.Fatalf("registered: %q", st)
	}

	a := mockAlloc("a1", job, "n1")
	must(t, s.UpsertPlanResults(2, &structs.ApplyPlanResultsEntry{AllocsPlaced: []*structs.Allocation{a}, Time: 50}))
	st, mod, jmod := jobStatus(t, s, "web")
	if st != structs.JobStatusRunning || mod != 2 || jmod != 1 {
		t.Fatalf("placed: status %q modify %d job-modify %d, want running 2 1", st, mod, jmod)
	}

	must(t, s.UpdateAllocsFromClient(3, []*structs.AllocStatusUpdate{{ID: "a1", ClientStatus: structs.AllocClientRunning}}))
	if st, mod, _ := jobStatus(t, s, "web"); st != structs.JobStatusRunning || mod != 2 {
		t.Fatalf("alloc running: status %q modify %d; an unchanged status must not bump ModifyIndex", st, mod)
	}

	// Service allocations all failed, job not stopped: waiting to be
	// rescheduled, so pending rather than dead.
	must(t, s.UpdateAllocsFromClient(4, []*structs.AllocStatusUpdate{{ID: "a1", ClientStatus: structs.AllocClientFailed}}))
	if st, mod, _ := jobStatus(t, s, "web"); st != structs.JobStatusPending || mod != 4 {
		t.Fatalf("alloc failed: status %q modify %d", st, mod)
	}

	must(t, s.UpsertAllocs(5, []*structs.Allocation{mockAlloc("a2", job, "n1")}))
	must(t, s.StopJob(6, "default", "web", 60))
	if st, _, _ := jobStatus(t, s, "web"); st != structs.JobStatusRunning {
		t.Fatalf("stopped with a live allocation: %q, want running", st)
	}
	must(t, s.UpsertPlanResults(7, &structs.ApplyPlanResultsEntry{
		AllocsStopped: []*structs.Allocation{{ID: "a2", DesiredStatus: structs.AllocDesiredStop, DesiredDescription: "job stopped"}},
		Time:          70,
	}))
	if st, mod, _ := jobStatus(t, s, "web"); st != structs.JobStatusDead || mod != 7 {
		t.Fatalf("stopped and allocations stopped: status %q modify %d", st, mod)
	}
}

func TestBatchJobStatus(t *testing.T) {
	s := testStore(t)
	job := mockBatchJob("report")
	must(t, s.UpsertJob(1, 1, job))
	if st, _, _ := jobStatus(t, s, "report"); st != structs.JobStatusPending {
		t.Fatalf("batch registered without eval: %q, want pending", st)
	}
	must(t, s.UpsertEvals(2, []*structs.Evaluation{mockEval("e1", job, structs.EvalStatusPending)}))
	must(t, s.UpsertPlanResults(3, &structs.ApplyPlanResultsEntry{
		AllocsPlaced: []*structs.Allocation{mockAlloc("a1", job, "n1"), mockAlloc("a2", job, "n1")}, Time: 3,
	}))
	if st, _, _ := jobStatus(t, s, "report"); st != structs.JobStatusRunning {
		t.Fatalf("placed: %q", st)
	}
	must(t, s.UpdateAllocsFromClient(4, []*structs.AllocStatusUpdate{
		{ID: "a1", ClientStatus: structs.AllocClientComplete},
		{ID: "a2", ClientStatus: structs.AllocClientComplete},
	}))
	// The evaluation is still pending: not dead yet.
	if st, _, _ := jobStatus(t, s, "report"); st != structs.JobStatusPending {
		t.Fatalf("complete but eval pending: %q, want pending", st)
	}
	e := mockEval("e1", job, structs.EvalStatusComplete)
	must(t, s.UpsertEvals(5, []*structs.Evaluation{e}))
	if st, mod, _ := jobStatus(t, s, "report"); st != structs.JobStatusDead || mod != 5 {
		t.Fatalf("all complete, eval complete: status %q modify %d", st, mod)
	}
	// A blocked evaluation makes it pending again.
	must(t, s.UpsertEvals(6, []*structs.Evaluation{mockEval("e2", job, structs.EvalStatusBlocked)}))
	if st, _, _ := jobStatus(t, s, "report"); st != structs.JobStatusPending {
		t.Fatalf("blocked eval: %q, want pending", st)
	}
	// Garbage collecting it settles the job as dead.
	must(t, s.DeleteEvals(7, []string{"e2"}, nil))
	if st, _, _ := jobStatus(t, s, "report"); st != structs.JobStatusDead {
		t.Fatalf("after gc: %q, want dead", st)
	}
}
