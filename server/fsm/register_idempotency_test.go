package fsm

import (
	"io"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// The last register's token and answer survive a snapshot and restore,
// and a register with that token applied afterwards is dropped: a restored
// server (or a new leader) answers a retry the same way.
func TestApplyRegisterTokenSurvivesSnapshot(t *testing.T) {
	f := testFSM(t)
	job := mockJob("web", structs.JobTypeService)
	job.LastRegister = &structs.RegisterRecord{Token: "deploy-1", EvalID: "e1"}
	apply(t, f, 7, structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: job, Eval: mockEval("e1", job, structs.EvalStatusPending)})
	want := structs.RegisterRecord{Token: "deploy-1", EvalID: "e1", Index: 7, JobModifyIndex: 7}
	if r := jobOf(t, f, "web").LastRegister; r == nil || *r != want {
		t.Fatalf("register record %+v, want %+v", r, want)
	}

	snap, err := f.Snapshot()
	must(t, err)
	sink := &bufferSink{}
	must(t, snap.Persist(sink))
	snap.Release()
	f2 := testFSM(t)
	must(t, f2.Restore(io.NopCloser(sink.Reader())))
	if r := jobOf(t, f2, "web").LastRegister; r == nil || *r != want {
		t.Fatalf("register record after restore %+v, want %+v", r, want)
	}

	retry := job.Copy()
	retry.LastRegister = &structs.RegisterRecord{Token: "deploy-1", EvalID: "e2"}
	apply(t, f2, 8, structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: retry, Eval: mockEval("e2", retry, structs.EvalStatusPending)})
	e, err := f2.State().EvalByID(nil, "e2")
	must(t, err)
	if e != nil {
		t.Fatal("a register with the last register's token wrote an evaluation")
	}
	if r := jobOf(t, f2, "web").LastRegister; r == nil || *r != want {
		t.Fatalf("register record after a dropped retry %+v, want %+v", r, want)
	}
}
