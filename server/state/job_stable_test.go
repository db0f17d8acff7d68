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
