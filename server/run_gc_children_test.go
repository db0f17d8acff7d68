package server

import (
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// Finished children of a periodic job are collected with their allocations
// and evaluations; the parent stays.
func TestGC_PurgesFinishedPeriodicChildrenWithTheirAllocs(t *testing.T) {
	s := testServer(t, func(c *Config) { c.RunGCAfter = time.Second })
	node := testNode("n1", 4000, 4096)
	registerNode(t, s, node)
	parent := testJob("nightly", 1, 64)
	parent.Type = structs.JobTypeBatch
	parent.Periodic = &structs.PeriodicConfig{Interval: structs.Duration(time.Second)}
	registerJob(t, s, parent)

	// Finish every child allocation, as a client would report it.
	seen := map[string]bool{}
	waitFor(t, "two children finished", func() bool {
		allocs, _ := s.State().Allocs(nil)
		var done []*structs.AllocStatusUpdate
		for _, a := range allocs {
			if strings.HasPrefix(a.JobID, "nightly/periodic-") && !a.ClientTerminalStatus() {
				now := time.Now().UnixNano()
				done = append(done, &structs.AllocStatusUpdate{ID: a.ID, ClientStatus: structs.AllocClientComplete, ModifyTime: now,
					TaskStates: map[string]*structs.TaskState{"server": {State: structs.TaskStateDead, FinishedAt: now}}})
				seen[a.JobID] = true
			}
		}
		if len(done) > 0 {
			var r structs.GenericResponse
			_ = s.RPC(structs.NodeUpdateAllocRPC, &structs.AllocUpdateRequest{NodeID: node.ID, SecretID: testSecret(node.ID), Allocs: done}, &r)
		}
		return len(seen) >= 2
	})
	first := ""
	for id := range seen {
		first = id
		break
	}
	waitFor(t, "a finished child purged with its allocations and evaluations", func() bool {
		job, _ := s.State().JobByID(nil, structs.DefaultNamespace, first)
		allocs, _ := s.State().AllocsByJob(nil, structs.DefaultNamespace, first)
		evals, _ := s.State().EvalsByJob(nil, structs.DefaultNamespace, first)
		return job == nil && len(allocs) == 0 && len(evals) == 0
	})
	if p, _ := s.State().JobByID(nil, structs.DefaultNamespace, "nightly"); p == nil {
		t.Fatal("the periodic parent was collected")
	}
}

// A finished child outside the default namespace is purged in its own
// namespace (the purge used to target the default namespace).
func TestGC_PurgesInTheJobsNamespace(t *testing.T) {
	s := testServer(t, nil)
	child := testJob("nightly/periodic-1", 1, 64)
	child.Namespace, child.ParentID, child.Stop = "other", "nightly", true
	child.SubmitTime = time.Now().Add(-time.Hour).UnixNano()
	if _, err := s.raftApply(structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: child}); err != nil {
		t.Fatal(err)
	}
	expired := s.expiredRuns(time.Now())
	if len(expired) != 1 || expired[0] != (jobKey{"other", child.ID}) {
		t.Fatalf("expired runs %v, want the child in namespace other", expired)
	}
	if err := s.purgeFinishedJob(expired[0].namespace, expired[0].id); err != nil {
		t.Fatal(err)
	}
	if j, _ := s.State().JobByID(nil, "other", child.ID); j != nil {
		t.Fatalf("child not purged: %+v", j)
	}
}
