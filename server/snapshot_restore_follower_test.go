package server

import (
	"strings"
	"testing"
)

// A restore sent to a follower is refused with a message that says where
// to send it: the leader agent's HTTP address. The follower only knows the
// leader's RPC address, so the message names it as such; before, it read
// "leader RPC address 127.0.0.1:6061" and users passed that to -address.
func TestSnapshotRestoreOnFollowerSaysWhereToSend(t *testing.T) {
	servers := testCluster(t, 3)
	leader, followers := leaderOf(servers)
	if leader == nil || len(followers) == 0 {
		t.Fatalf("want a leader and followers, got %v and %d followers", leader, len(followers))
	}
	err := followers[0].SnapshotRestore(strings.NewReader("not read\n"))
	if err == nil {
		t.Fatal("a follower accepted a restore")
	}
	for _, want := range []string{
		"HTTP address (-address) of the leader's agent",
		"the leader's RPC (not HTTP) address is " + followers[0].Leader(),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("follower's refusal %q lacks %q", err, want)
		}
	}
	if followers[0].Leader() == "" {
		t.Errorf("the follower knows no leader, so the message could not name it")
	}
}
