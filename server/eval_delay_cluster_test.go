package server

import (
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// A delayed evaluation written under one leader is held and run by the
// next one after the first dies: it lives in the replicated state.
func TestCluster_DelayedEvalRunsAfterLeaderLoss(t *testing.T) {
	servers := testCluster(t, 3)
	leader, followers := leaderOf(servers)
	if leader == nil || len(followers) != 2 {
		t.Fatal("want 1 leader and 2 followers")
	}
	registerJob(t, leader, testJob("later", 1, 64))
	job, err := leader.State().JobByID(nil, structs.DefaultNamespace, "later")
	if err != nil || job == nil {
		t.Fatalf("job: %v", err)
	}
	d := delayedEval(job, time.Now().Add(3*time.Second))
	writeEval(t, leader, d)
	waitFor(t, "the delayed evaluation replicated to the followers", func() bool {
		e, _ := followers[0].State().EvalByID(nil, d.ID)
		f, _ := followers[1].State().EvalByID(nil, d.ID)
		return e != nil && f != nil
	})

	failOver(t, leader, followers)
	next, _ := leaderOf(followers)
	if next == nil {
		t.Fatal("no new leader among the followers")
	}
	waitFor(t, "the delayed evaluation run by the new leader", func() bool {
		return getEval(t, next, d.ID).TerminalStatus()
	})
	if e := getEval(t, next, d.ID); e.ModifyTime < d.WaitUntil {
		t.Fatalf("run at %d, before its WaitUntil %d", e.ModifyTime, d.WaitUntil)
	}
}
