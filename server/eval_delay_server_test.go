package server

import (
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

func delayedEval(job *structs.Job, at time.Time) *structs.Evaluation {
	now := time.Now().UnixNano()
	return &structs.Evaluation{ID: structs.GenerateID(), Namespace: structs.DefaultNamespace, Priority: 50,
		Type: structs.JobTypeService, TriggeredBy: structs.EvalTriggerReschedule, JobID: job.ID,
		JobModifyIndex: job.JobModifyIndex, Status: structs.EvalStatusPending, WaitUntil: at.UnixNano(),
		CreateTime: now, ModifyTime: now}
}

func writeEval(t *testing.T, s *Server, e *structs.Evaluation) {
	t.Helper()
	if _, err := s.raftApply(structs.EvalUpdateRequestType, &structs.EvalUpdateEntry{Evals: []*structs.Evaluation{e}}); err != nil {
		t.Fatal(err)
	}
}

// Delayed evaluations live in the state: a new leader (here: the same
// server losing and regaining leadership, which drops the broker) puts
// them back into the delay heap, and they run once due.
func TestDelayedEvals_SurviveLeadershipChangeAndRun(t *testing.T) {
	s := testServer(t, nil)
	job := testJob("later", 1, 64)
	registerJob(t, s, job)
	stored, _ := s.State().JobByID(nil, structs.DefaultNamespace, "later")
	far := delayedEval(stored, time.Now().Add(time.Hour))
	soon := delayedEval(stored, time.Now().Add(time.Second))
	writeEval(t, s, far)
	writeEval(t, s, soon)
	waitFor(t, "two delayed evaluations in the broker", func() bool { return s.broker.Delayed() == 2 })

	s.revokeLeadership()
	if n := s.broker.Delayed(); n != 0 {
		t.Fatalf("%d delayed evaluations kept by a follower's broker", n)
	}
	if err := s.establishLeadership(); err != nil {
		t.Fatal(err)
	}
	if n := s.broker.Delayed(); n < 1 {
		t.Fatalf("%d delayed evaluations after regaining leadership, want them restored", n)
	}
	waitFor(t, "the due evaluation processed", func() bool { return getEval(t, s, soon.ID).TerminalStatus() })
	if e := getEval(t, s, soon.ID); e.ModifyTime < soon.WaitUntil {
		t.Fatalf("processed at %d, before its WaitUntil %d", e.ModifyTime, soon.WaitUntil)
	}
	if e := getEval(t, s, far.ID); e.Status != structs.EvalStatusPending {
		t.Fatalf("the far evaluation is %s, want still pending", e.Status)
	}
}

// Stopping the job cancels its pending reschedules.
func TestDelayedEvals_CanceledByJobStop(t *testing.T) {
	s := testServer(t, nil)
	registerJob(t, s, testJob("stopme", 1, 64))
	stored, _ := s.State().JobByID(nil, structs.DefaultNamespace, "stopme")
	d := delayedEval(stored, time.Now().Add(time.Hour))
	writeEval(t, s, d)
	waitFor(t, "the delayed evaluation in the broker", func() bool { return s.broker.Delayed() == 1 })

	var reply structs.JobDeregisterResponse
	if err := s.RPC("Job.Deregister", &structs.JobDeregisterRequest{JobID: "stopme"}, &reply); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delayed evaluation canceled", func() bool {
		return getEval(t, s, d.ID).Status == structs.EvalStatusCanceled
	})
	if n := s.broker.Delayed(); n != 0 {
		t.Fatalf("%d delayed evaluations left", n)
	}
}
