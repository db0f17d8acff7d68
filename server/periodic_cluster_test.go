package server

import (
	"strconv"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// TestCluster_PeriodicAcrossFailover: a cron every 2 seconds keeps
// launching after the leader dies, never twice for one tick, and each
// launch record matches its child.
func TestCluster_PeriodicAcrossFailover(t *testing.T) {
	servers := testCluster(t, 3)
	leader, followers := leaderOf(servers)
	if leader == nil || len(followers) != 2 {
		t.Fatalf("want 1 leader and 2 followers")
	}
	registerJob(t, followers[0], periodicJob("tick", &structs.PeriodicConfig{Crons: []string{"*/2 * * * * *"}}))
	waitFor(t, "a first launch", func() bool { return len(children(t, followers[0], "tick")) >= 1 })
	before := len(children(t, followers[0], "tick"))

	failOver(t, leader, followers)
	waitFor(t, "two launches by the new leader", func() bool {
		return len(children(t, followers[1], "tick")) >= before+2
	})
	ticks := map[int64]bool{}
	for _, c := range children(t, followers[1], "tick") {
		unix, err := strconv.ParseInt(strings.TrimPrefix(c.ID, "tick/periodic-"), 10, 64)
		if err != nil || unix%2 != 0 {
			t.Fatalf("child %q is not on a 2-second tick (%v)", c.ID, err)
		}
		if ticks[unix] {
			t.Fatalf("tick %d launched twice", unix)
		}
		ticks[unix] = true
	}
	if len(ticks) < 3 {
		t.Fatalf("%d launches, want at least 3", len(ticks))
	}
}
