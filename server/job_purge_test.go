package server

import (
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// finishAllocs reports every non-terminal allocation of a job on node as
// complete, as its client would.
func finishAllocs(t *testing.T, s *Server, node *structs.Node, jobID string) {
	t.Helper()
	allocs, err := s.State().AllocsByJob(nil, structs.DefaultNamespace, jobID)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixNano()
	var done []*structs.AllocStatusUpdate
	for _, a := range allocs {
		if a.ClientTerminalStatus() {
			continue
		}
		done = append(done, &structs.AllocStatusUpdate{ID: a.ID, ClientStatus: structs.AllocClientComplete, ModifyTime: now,
			TaskStates: map[string]*structs.TaskState{"server": {State: structs.TaskStateDead, FinishedAt: now}}})
	}
	if len(done) == 0 {
		return
	}
	var r structs.GenericResponse
	if err := s.RPC(structs.NodeUpdateAllocRPC, &structs.AllocUpdateRequest{NodeID: node.ID, SecretID: testSecret(node.ID), Allocs: done}, &r); err != nil {
		t.Fatalf("finish allocations of %s: %v", jobID, err)
	}
}

func purgeJob(t *testing.T, s *Server, jobID string) {
	t.Helper()
	var reply structs.JobDeregisterResponse
	if err := s.RPC(structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: jobID, Purge: true}, &reply); err != nil {
		t.Fatalf("purge job %s: %v", jobID, err)
	}
}

func jobStatus(s *Server, id string) string {
	j, _ := s.State().JobByID(nil, structs.DefaultNamespace, id)
	if j == nil {
		return ""
	}
	return j.Status
}

// A batch job that ran, was purged and is submitted again under the same
// ID runs again: the completed allocations of the purged job no longer
// count as its work being done.
func TestPurge_ReregisteredBatchJobRunsAgain(t *testing.T) {
	s := testServer(t, nil)
	node := testNode("n1", 4000, 4096)
	registerNode(t, s, node)
	job := testJob("once", 1, 64)
	job.Type = structs.JobTypeBatch
	registerJob(t, s, job)
	waitFor(t, "the batch allocation placed", func() bool { return len(jobAllocs(t, s, "once")) == 1 })
	finishAllocs(t, s, node, "once")
	waitFor(t, "the batch job dead", func() bool { return jobStatus(s, "once") == structs.JobStatusDead })
	first := jobAllocs(t, s, "once")[0].ID

	purgeJob(t, s, "once")
	registerJob(t, s, job)
	waitFor(t, "the re-registered batch job placed again", func() bool {
		for _, a := range jobAllocs(t, s, "once") {
			if a.ID != first && a.DesiredStatus == structs.AllocDesiredRun && !isClientTerminal(a.ClientStatus) {
				return true
			}
		}
		return false
	})
}

// Purging removes the job's finished allocations and evaluations with it,
// and stops the ones still running, so nothing of it is left to collect
// once those are done.
func TestPurge_RemovesFinishedAllocsAndEvalsAndStopsLiveOnes(t *testing.T) {
	s := testServer(t, nil)
	node := testNode("n1", 4000, 4096)
	registerNode(t, s, node)
	registerJob(t, s, testJob("web", 2, 64))
	waitFor(t, "two allocations placed", func() bool { return len(jobAllocs(t, s, "web")) == 2 })
	allocs := jobAllocs(t, s, "web")
	// One of the two finishes before the purge.
	now := time.Now().UnixNano()
	var r structs.GenericResponse
	if err := s.RPC(structs.NodeUpdateAllocRPC, &structs.AllocUpdateRequest{NodeID: node.ID, SecretID: testSecret(node.ID),
		Allocs: []*structs.AllocStatusUpdate{{ID: allocs[0].ID, ClientStatus: structs.AllocClientFailed, ModifyTime: now}}}, &r); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the failure recorded", func() bool {
		a, _ := s.State().AllocByID(nil, allocs[0].ID)
		return a != nil && a.ClientStatus == structs.AllocClientFailed
	})
	oldEvals, _ := s.State().EvalsByJob(nil, structs.DefaultNamespace, "web")
	purgeJob(t, s, "web")

	if a, _ := s.State().AllocByID(nil, allocs[0].ID); a != nil {
		t.Fatalf("finished allocation %s survived the purge", allocs[0].ID)
	}
	live, _ := s.State().AllocByID(nil, allocs[1].ID)
	if live == nil || live.DesiredStatus != structs.AllocDesiredStop {
		t.Fatalf("running allocation after purge = %+v, want it kept and stopped", live)
	}
	for _, e := range oldEvals {
		if !e.TerminalStatus() {
			continue // still running at the purge: it ends on its own
		}
		if got, _ := s.State().EvalByID(nil, e.ID); got != nil {
			t.Fatalf("finished evaluation %s survived the purge", e.ID)
		}
	}
}

// A service job purged and registered again never reuses a version that
// allocations still on clients reference: clients cache job specs by
// version, so a reused number would start the old spec.
func TestPurge_ReregisteredJobVersionDoesNotRestart(t *testing.T) {
	s := testServer(t, nil)
	node := testNode("n1", 4000, 4096)
	registerNode(t, s, node)
	job := testJob("web", 1, 64)
	registerJob(t, s, job)
	job2 := testJob("web", 1, 65) // a new version
	registerJob(t, s, job2)
	waitFor(t, "an allocation of version 1", func() bool {
		for _, a := range jobAllocs(t, s, "web") {
			if a.JobVersion == 1 {
				return true
			}
		}
		return false
	})
	purgeJob(t, s, "web")
	registerJob(t, s, job)
	stored, _ := s.State().JobByID(nil, structs.DefaultNamespace, "web")
	var highest uint64
	allocs, _ := s.State().AllocsByJob(nil, structs.DefaultNamespace, "web")
	for _, a := range allocs {
		if a.JobVersion > highest && a.CreateIndex < stored.CreateIndex {
			highest = a.JobVersion
		}
	}
	if stored.Version <= highest {
		t.Fatalf("re-registered job has version %d, but allocations of the purged job still reference version %d", stored.Version, highest)
	}
	if stored.Version == 0 {
		t.Fatal("re-registered job restarted at version 0 while the purged job's allocations remain")
	}
}

func isClientTerminal(status string) bool {
	return (&structs.Allocation{ClientStatus: status}).ClientTerminalStatus()
}
