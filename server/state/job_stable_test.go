package state

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// A rollout outcome marks the version and, when current, the job; a new
// version starts unmarked, and re-registering the same spec keeps the marks.
func TestApplyJobRollout(t *testing.T) {
	s, err := NewStateStore(hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	job := &structs.Job{ID: "web", Namespace: "default", Type: structs.JobTypeService,
		Groups: []*structs.TaskGroup{{Name: "g", Count: 1, Tasks: []*structs.Task{{Name: "t", Driver: "exec"}}}}}
	if err := s.UpsertJob(10, 1, job); err != nil {
		t.Fatal(err)
	}
	apply := func(index uint64, e *structs.JobRolloutEntry) {
		t.Helper()
		if err := s.Update(index, func(tx *WriteTxn) error { return tx.ApplyJobRollout(e) }); err != nil {
			t.Fatal(err)
		}
	}
	apply(11, &structs.JobRolloutEntry{Namespace: "default", JobID: "web", Version: 0, Stable: true})
	apply(12, &structs.JobRolloutEntry{Namespace: "default", JobID: "web", Version: 7, Stable: true}) // unknown: ignored

	cur, _ := s.JobByID(nil, "default", "web")
	v0, _ := s.JobByIDAndVersion(nil, "default", "web", 0)
	if !cur.Stable || !v0.Stable {
		t.Fatalf("stable: job %v, version 0 %v", cur.Stable, v0.Stable)
	}
	if err := s.UpsertJob(13, 2, job.Copy()); err != nil { // same spec
		t.Fatal(err)
	}
	if cur, _ = s.JobByID(nil, "default", "web"); !cur.Stable || cur.Version != 0 {
		t.Fatalf("after re-registering the same spec: version %d stable %v", cur.Version, cur.Stable)
	}

	v1 := job.Copy()
	v1.Meta = map[string]string{"v": "1"}
	if err := s.UpsertJob(14, 3, v1); err != nil {
		t.Fatal(err)
	}
	if cur, _ = s.JobByID(nil, "default", "web"); cur.Stable || cur.Version != 1 {
		t.Fatalf("new version: version %d stable %v, want 1 and not stable", cur.Version, cur.Stable)
	}
	apply(15, &structs.JobRolloutEntry{Namespace: "default", JobID: "web", Version: 1, Failure: "update to version 1 failed"})
	cur, _ = s.JobByID(nil, "default", "web")
	v1s, _ := s.JobByIDAndVersion(nil, "default", "web", 1)
	if cur.UpdateFailure == "" || v1s.UpdateFailure == "" || cur.Stable {
		t.Fatalf("failure not recorded: job %q, version %q", cur.UpdateFailure, v1s.UpdateFailure)
	}
	if v0, _ = s.JobByIDAndVersion(nil, "default", "web", 0); !v0.Stable || v0.UpdateFailure != "" {
		t.Fatalf("version 0 changed: %+v", v0)
	}
}

// A promotion marks the version promoted with its progress time; a client
// report that turns an allocation healthy records when.
func TestApplyJobRolloutPromotedAndHealthyTime(t *testing.T) {
	s := testStore(t)
	job := &structs.Job{ID: "web", Namespace: "default", Type: structs.JobTypeService,
		Groups: []*structs.TaskGroup{{Name: "g", Count: 1, Tasks: []*structs.Task{{Name: "t", Driver: "exec"}}}}}
	if err := s.UpsertJob(10, 1, job); err != nil {
		t.Fatal(err)
	}
	e := &structs.JobRolloutEntry{Namespace: "default", JobID: "web", Version: 0, Promoted: true, ProgressTime: 777}
	if err := s.Update(11, func(tx *WriteTxn) error { return tx.ApplyJobRollout(e) }); err != nil {
		t.Fatal(err)
	}
	cur, _ := s.JobByID(nil, "default", "web")
	v0, _ := s.JobByIDAndVersion(nil, "default", "web", 0)
	if !cur.Promoted || cur.ProgressTime != 777 || !v0.Promoted || v0.ProgressTime != 777 {
		t.Fatalf("promotion not recorded: job %v/%d, version %v/%d", cur.Promoted, cur.ProgressTime, v0.Promoted, v0.ProgressTime)
	}

	a := &structs.Allocation{ID: structs.GenerateID(), Namespace: "default", JobID: "web", TaskGroup: "g", Name: "web.g[0]",
		NodeID: "n1", DesiredStatus: structs.AllocDesiredRun, ClientStatus: structs.AllocClientPending, Canary: true}
	if err := s.Update(12, func(tx *WriteTxn) error { return tx.UpsertAllocs([]*structs.Allocation{a}) }); err != nil {
		t.Fatal(err)
	}
	report := func(index uint64, healthy *bool, at int64) *structs.Allocation {
		t.Helper()
		u := &structs.AllocStatusUpdate{ID: a.ID, ClientStatus: structs.AllocClientRunning, Healthy: healthy, ModifyTime: at}
		if err := s.Update(index, func(tx *WriteTxn) error { return tx.UpdateAllocsFromClient([]*structs.AllocStatusUpdate{u}) }); err != nil {
			t.Fatal(err)
		}
		got, _ := s.AllocByID(nil, a.ID)
		return got
	}
	yes := true
	if got := report(13, nil, 100); got.HealthyTime != 0 || !got.Canary {
		t.Fatalf("no health yet: healthy_time %d canary %v", got.HealthyTime, got.Canary)
	}
	if got := report(14, &yes, 200); got.HealthyTime != 200 {
		t.Fatalf("turned healthy at 200: healthy_time %d", got.HealthyTime)
	}
	if got := report(15, &yes, 300); got.HealthyTime != 200 {
		t.Fatalf("still healthy: healthy_time %d, want the first time (200)", got.HealthyTime)
	}
}
