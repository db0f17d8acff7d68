package command

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/internal/testutil"
	"github.com/appmesh/appmesh/structs"
)

// waitFor polls cond until it holds, failing the test after a generous
// deadline (a liveness bound, not a performance assertion).
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	testutil.WaitForState(t, what, cond)
}

// TestServerJoinBootstrapsTwoServers starts two gossiping servers that
// expect two, joins them with "server join" and checks that they elect one
// leader and both vote.
func TestServerJoinBootstrapsTwoServers(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: starts two servers with on-disk Raft and gossip")
	}
	a, _ := startServerAgent(t, "join-a", false, 2)
	_, bCfg := startServerAgent(t, "join-b", false, 2)
	useAgent(t, a)
	bGossip := fmt.Sprintf("127.0.0.1:%d", bCfg.Ports.Gossip)

	code, out, stderr := cmd("server", "join", bGossip)
	if code != 0 || !strings.Contains(out, "Joined 1 server(s)") {
		t.Fatalf("server join: exit %d: %s %s", code, out, stderr)
	}
	waitFor(t, "two alive members and a leader", func() (bool, string) {
		code, out, stderr := cmd("server", "members", "-json")
		var members []*structs.ServerMember
		if code != 0 || json.Unmarshal([]byte(out), &members) != nil {
			return false, stderr
		}
		alive, leaders := 0, 0
		for _, m := range members {
			if m.Status == "alive" {
				alive++
			}
			if m.Leader {
				leaders++
			}
		}
		return alive == 2 && leaders == 1, out
	})
	waitFor(t, "two Raft voters", func() (bool, string) {
		code, out, stderr := cmd("operator", "raft", "list-peers", "-json")
		var conf structs.RaftConfigurationResponse
		if code != 0 || json.Unmarshal([]byte(out), &conf) != nil {
			return false, stderr
		}
		voters, leaders := 0, 0
		for _, p := range conf.Servers {
			if p.Voter {
				voters++
			}
			if p.Leader {
				leaders++
			}
		}
		return voters == 2 && leaders == 1, out
	})
	code, out, _ = cmd("operator", "raft", "list-peers")
	if code != 0 || tableRow(out, "join-a") == nil || tableRow(out, "join-b") == nil {
		t.Fatalf("list-peers table does not name both servers:\n%s", out)
	}

	code, _, stderr = cmd("server", "join", "127.0.0.1:1")
	if code != 1 || !strings.Contains(stderr, "Error joining 127.0.0.1:1") {
		t.Errorf("join of nothing: exit %d: %s", code, stderr)
	}
}
