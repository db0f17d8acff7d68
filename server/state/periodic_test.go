package state

import (
	"bytes"
	"testing"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

func TestPeriodicLaunchRecordAndChildren(t *testing.T) {
	s := testStore(t)
	parent := mockJob("per")
	must(t, s.UpsertJob(1, 100, parent))
	child := parent.Copy()
	child.ID, child.ParentID = "per/periodic-10", "per"
	other := parent.Copy()
	other.ID = "per2/periodic-10" // same prefix without the slash: not a child
	launch := &structs.PeriodicLaunchEntry{
		Launch: &structs.PeriodicLaunch{ID: "per", Launch: 10e9},
		Job:    child,
		Eval:   mockEval("e1", child, structs.EvalStatusPending),
	}
	must(t, s.Update(2, func(tx *WriteTxn) error { return tx.ApplyPeriodicLaunch(launch) }))
	must(t, s.UpsertJob(3, 300, other))
	must(t, s.Update(4, func(tx *WriteTxn) error {
		return tx.UpsertPeriodicLaunch(&structs.PeriodicLaunch{ID: "per", Launch: 20e9})
	}))

	l, err := s.PeriodicLaunchByID(nil, "", "per")
	must(t, err)
	if l == nil || l.Launch != 20e9 || l.CreateIndex != 2 || l.ModifyIndex != 4 {
		t.Fatalf("launch record %+v", l)
	}
	kids, err := s.ChildJobs(nil, "", "per")
	must(t, err)
	if len(kids) != 1 || kids[0].ID != "per/periodic-10" {
		t.Fatalf("children %v", kids)
	}
	if idx, _ := s.Index(TablePeriodicLaunch); idx != 4 {
		t.Fatalf("table index %d, want 4", idx)
	}

	r, err := Restore(bytes.NewReader(persist(t, s)), hclog.NewNullLogger())
	must(t, err)
	if got, _ := r.PeriodicLaunchByID(nil, "", "per"); got == nil || got.Launch != 20e9 {
		t.Fatalf("launch record lost in a snapshot: %+v", got)
	}
}

// A launch that arrives after its parent was stopped starts no child (its
// record still advances); one for a purged parent leaves nothing.
func TestPeriodicLaunchAfterParentStopped(t *testing.T) {
	s := testStore(t)
	parent := mockJob("per")
	must(t, s.UpsertJob(1, 100, parent))
	must(t, s.Update(2, func(tx *WriteTxn) error { return tx.StopJob(structs.DefaultNamespace, "per", 200) }))
	child := parent.Copy()
	child.ID, child.ParentID = "per/periodic-10", "per"
	must(t, s.Update(3, func(tx *WriteTxn) error {
		return tx.ApplyPeriodicLaunch(&structs.PeriodicLaunchEntry{
			Launch: &structs.PeriodicLaunch{ID: "per", Launch: 10e9}, Job: child,
			Eval: mockEval("e1", child, structs.EvalStatusPending)})
	}))
	if kids, _ := s.ChildJobs(nil, "", "per"); len(kids) != 0 {
		t.Fatalf("a stopped parent got children %v", kids)
	}
	if l, _ := s.PeriodicLaunchByID(nil, "", "per"); l == nil || l.Launch != 10e9 {
		t.Fatalf("launch record %+v, want it advanced", l)
	}
	must(t, s.Update(4, func(tx *WriteTxn) error {
		return tx.ApplyPeriodicLaunch(&structs.PeriodicLaunchEntry{
			Launch: &structs.PeriodicLaunch{ID: "gone", Launch: 10e9}, Job: child})
	}))
	if l, _ := s.PeriodicLaunchByID(nil, "", "gone"); l != nil {
		t.Fatalf("a launch of a missing parent left a record %+v", l)
	}
}
