package state

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// A client update carries the allocation's health and the task status
// fields; the next update replaces the health (nil: unknown again).
func TestClientUpdateCarriesHealth(t *testing.T) {
	s := testStore(t)
	job := mockJob("web")
	must(t, s.UpsertJob(1, 1, job))
	must(t, s.UpsertPlanResults(10, &structs.ApplyPlanResultsEntry{
		AllocsPlaced: []*structs.Allocation{mockAlloc("a1", job, "n1")}, EvalID: "e1", Time: 1000,
	}))
	healthy := false
	must(t, s.UpdateAllocsFromClient(11, []*structs.AllocStatusUpdate{{ID: "a1", ClientStatus: structs.AllocClientRunning,
		Healthy: &healthy, TaskStates: map[string]*structs.TaskState{"server": {State: structs.TaskStateRunning, Starts: 2,
			Health: structs.HealthUnhealthy, NextStart: 99, LastError: "boom",
			Checks: []*structs.CheckStatus{{Name: "c", Status: structs.HealthUnhealthy, Output: "refused"}}}}}}))
	got, err := s.AllocByID(nil, "a1")
	must(t, err)
	ts := got.TaskStates["server"]
	if got.Healthy == nil || *got.Healthy || ts.Starts != 2 || ts.Health != structs.HealthUnhealthy || ts.NextStart != 99 ||
		ts.LastError != "boom" || len(ts.Checks) != 1 || ts.Checks[0].Output != "refused" {
		t.Fatalf("health not stored: %s", asJSON(t, got))
	}
	must(t, s.UpdateAllocsFromClient(12, []*structs.AllocStatusUpdate{{ID: "a1", ClientStatus: structs.AllocClientRunning}}))
	if got, _ = s.AllocByID(nil, "a1"); got.Healthy != nil {
		t.Fatalf("want health unknown after an update without it, got %v", *got.Healthy)
	}
}
