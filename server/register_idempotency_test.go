package server

import (
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func registerWithToken(s *Server, job *structs.Job, token string) (*structs.JobRegisterResponse, error) {
	var reply structs.JobRegisterResponse
	err := s.RPC(structs.JobRegisterRPC, &structs.JobRegisterRequest{Job: job.Copy(), IdempotencyToken: token}, &reply)
	return &reply, err
}

// jobEvalsAndVersions counts the job's register evaluations and versions.
func jobEvalsAndVersions(t *testing.T, s *Server, id string) (int, int) {
	t.Helper()
	evals, err := s.State().EvalsByJob(nil, structs.DefaultNamespace, id)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := s.State().JobVersionsByID(nil, structs.DefaultNamespace, id)
	if err != nil {
		t.Fatal(err)
	}
	// The scheduler adds its own (blocked) evaluations; count the
	// registers' only.
	n := 0
	for _, e := range evals {
		if e.TriggeredBy == structs.EvalTriggerJobRegister {
			n++
		}
	}
	return n, len(versions)
}

// A register retried with its token answers with the first register's
// evaluation and writes neither a version nor an evaluation; the same
// token with another spec is refused as a conflict.
func TestRegister_SameTokenWritesOnce(t *testing.T) {
	s := testServer(t, nil)
	job := testJob("web", 1, 64)
	first, err := registerWithToken(s, job, "deploy-42")
	if err != nil {
		t.Fatal(err)
	}
	again, err := registerWithToken(s, job, "deploy-42")
	if err != nil {
		t.Fatal(err)
	}
	if again.EvalID != first.EvalID || again.JobModifyIndex != first.JobModifyIndex || again.EvalCreateIndex != first.EvalCreateIndex || !again.Existing {
		t.Fatalf("retry answered %+v, want the first answer %+v with existing", again, first)
	}
	if evals, versions := jobEvalsAndVersions(t, s, "web"); evals != 1 || versions != 1 {
		t.Fatalf("%d evaluations and %d versions after a retried register, want 1 and 1", evals, versions)
	}
	changed := job.Copy()
	changed.Groups[0].Count = 2
	_, err = registerWithToken(s, changed, "deploy-42")
	if err == nil || !strings.Contains(err.Error(), "another specification") {
		t.Fatalf("token reused with another spec: want a conflict, got %v", err)
	}
	if _, err := registerWithToken(s, job, strings.Repeat("x", 300)); !structs.IsValidation(err) {
		t.Fatalf("a 300-character token: want a validation error, got %v", err)
	}
	// Without a token every register is a new request (a new evaluation).
	for range 2 {
		if _, err := registerWithToken(s, job, ""); err != nil {
			t.Fatal(err)
		}
	}
	if evals, _ := jobEvalsAndVersions(t, s, "web"); evals != 3 {
		t.Fatalf("%d evaluations after two registers without a token, want 3", evals)
	}
	// A new token with the changed spec is a new version.
	if _, err := registerWithToken(s, changed, "deploy-43"); err != nil {
		t.Fatal(err)
	}
	if _, versions := jobEvalsAndVersions(t, s, "web"); versions != 2 {
		t.Fatalf("%d versions after a changed spec, want 2", versions)
	}
}

// Two registers with one token that both passed the leader's check (a
// forwarded retry racing its first try) commit once: the FSM drops the
// second, and its caller gets the first one's answer.
func TestRegister_SameTokenCommitsOnce(t *testing.T) {
	s := testServer(t, nil)
	job := testJob("api", 1, 64)
	var evalIDs []string
	for range 2 {
		j := job.Copy()
		j.Canonicalize()
		e := &structs.Evaluation{ID: structs.GenerateID(), Namespace: structs.DefaultNamespace, Type: j.Type,
			JobID: j.ID, TriggeredBy: structs.EvalTriggerJobRegister, Status: structs.EvalStatusPending}
		j.LastRegister = &structs.RegisterRecord{Token: "once", EvalID: e.ID}
		if _, err := s.raftApply(structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: j, Eval: e}); err != nil {
			t.Fatal(err)
		}
		evalIDs = append(evalIDs, e.ID)
	}
	if evals, versions := jobEvalsAndVersions(t, s, "api"); evals != 1 || versions != 1 {
		t.Fatalf("%d evaluations and %d versions with one token, want 1 and 1", evals, versions)
	}
	r := storedJob(t, s, "api").LastRegister
	if r == nil || r.EvalID != evalIDs[0] || r.Index == 0 || r.JobModifyIndex == 0 {
		t.Fatalf("stored register record %+v, want the first (eval %s) with its indexes", r, evalIDs[0])
	}
}

// A register retried after the leader that took it died gets the first
// answer: the token is in the replicated job record.
func TestRegister_IdempotentAcrossLeaderChange(t *testing.T) {
	servers := testCluster(t, 3)
	leader, followers := leaderOf(servers)
	job := testJob("web", 1, 64)
	first, err := registerWithToken(leader, job, "deploy-7")
	if err != nil {
		t.Fatal(err)
	}
	failOver(t, leader, followers)
	again, err := registerWithToken(followers[1], job, "deploy-7")
	if err != nil {
		t.Fatal(err)
	}
	if again.EvalID != first.EvalID || again.JobModifyIndex != first.JobModifyIndex || !again.Existing {
		t.Fatalf("retry answered %+v, want the first answer %+v", again, first)
	}
	nl, _ := leaderOf(followers)
	if nl == nil {
		t.Fatal("no leader")
	}
	if evals, versions := jobEvalsAndVersions(t, nl, "web"); evals != 1 || versions != 1 {
		t.Fatalf("%d evaluations and %d versions after a retried register, want 1 and 1", evals, versions)
	}
}
