package fsm

import (
	"io"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/raft"
)

// A rollout entry marks the version stable; the mark and a delayed
// evaluation's wait_until survive a snapshot and restore.
func TestApplyJobRolloutAndSnapshot(t *testing.T) {
	f := testFSM(t)
	job := mockJob("web", structs.JobTypeService)
	apply(t, f, 1, structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: job})
	delayed := mockEval("delayed", job, structs.EvalStatusPending)
	delayed.WaitUntil = time.Now().Add(time.Hour).UnixNano()
	apply(t, f, 2, structs.EvalUpdateRequestType, &structs.EvalUpdateEntry{Evals: []*structs.Evaluation{delayed}})
	apply(t, f, 3, structs.JobRolloutRequestType, &structs.JobRolloutEntry{Namespace: "default", JobID: "web", Version: 0, Stable: true})
	if !jobOf(t, f, "web").Stable {
		t.Fatal("job not stable after the rollout entry")
	}
	if resp := f.Apply(&raft.Log{Index: 4, Type: raft.LogCommand, Data: encode(t, structs.JobRolloutRequestType, &structs.JobRolloutEntry{Version: 0, Stable: true})}); resp == nil {
		t.Fatal("a rollout entry without a job ID was accepted")
	}

	snap, err := f.Snapshot()
	must(t, err)
	sink := &bufferSink{}
	must(t, snap.Persist(sink))
	snap.Release()
	f2 := testFSM(t)
	must(t, f2.Restore(io.NopCloser(sink.Reader())))
	v0, err := f2.State().JobByIDAndVersion(nil, "default", "web", 0)
	must(t, err)
	if !jobOf(t, f2, "web").Stable || v0 == nil || !v0.Stable {
		t.Fatal("the stable mark did not survive the snapshot")
	}
	e, err := f2.State().EvalByID(nil, "delayed")
	must(t, err)
	if e == nil || e.WaitUntil != delayed.WaitUntil {
		t.Fatalf("delayed evaluation after restore: %+v", e)
	}
}
