package server

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// testCluster starts n servers in this process that find each other by
// gossip (-bootstrap-expect n, -join the first) and elect a leader over
// real TCP on loopback.
func testCluster(t *testing.T, n int) []*Server {
	t.Helper()
	return testClusterWith(t, n, nil)
}

// testClusterWith is testCluster with mut applied to every server's
// config (nil: none).
func testClusterWith(t *testing.T, n int, mut func(*Config)) []*Server {
	t.Helper()
	gossip := make([]string, n)
	for i := range gossip {
		gossip[i] = freeAddr(t)
	}
	servers := make([]*Server, n)
	for i := range servers {
		i := i
		servers[i] = testServerNoWait(t, func(c *Config) {
			c.NodeName = fmt.Sprintf("s%d", i+1)
			c.DevMode = false
			c.DataDir = t.TempDir()
			c.BootstrapExpect = n
			c.GossipAddr = gossip[i]
			c.Join = []string{gossip[0]}
			if mut != nil {
				mut(c)
			}
		})
	}
	waitFor(t, "one leader known by all", func() bool {
		l := servers[0].Leader()
		if l == "" {
			return false
		}
		for _, s := range servers {
			if s.Leader() != l {
				return false
			}
		}
		return true
	})
	return servers
}

func testServerNoWait(t *testing.T, mut func(*Config)) *Server {
	t.Helper()
	cfg := &Config{RPCAddr: freeAddr(t), Logger: testLogger(t)}
	mut(cfg)
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	t.Cleanup(func() { _ = s.Shutdown() })
	return s
}

func leaderOf(servers []*Server) (*Server, []*Server) {
	var leader *Server
	var rest []*Server
	for _, s := range servers {
		if s.IsLeader() {
			leader = s
		} else {
			rest = append(rest, s)
		}
	}
	return leader, rest
}

// failOver shuts the leader down and waits until both followers agree on
// a new one.
func failOver(t *testing.T, leader *Server, followers []*Server) {
	t.Helper()
	oldAddr := leader.config.RPCAddr
	if err := leader.Shutdown(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a new leader", func() bool {
		l := followers[0].Leader()
		return l != "" && l != oldAddr && followers[1].Leader() == l
	})
}

func TestCluster_WritesThroughFollowersSurviveLeaderLoss(t *testing.T) {
	servers := testCluster(t, 3)
	leader, followers := leaderOf(servers)
	if leader == nil || len(followers) != 2 {
		t.Fatalf("want 1 leader and 2 followers")
	}
	// A server that joined a bootstrapped cluster learns the peer set from
	// the leader's log shortly after the election.
	waitFor(t, "3 raft peers seen by a follower", func() bool {
		var peers structs.StatusPeersResponse
		err := followers[0].RPC(structs.StatusPeersRPC, &structs.GenericRequest{}, &peers)
		return err == nil && len(peers.Peers) == 3
	})

	// Writes through a follower are forwarded to the leader.
	registerNode(t, followers[0], testNode("n1", 4000, 4096))
	reply := registerJob(t, followers[1], testJob("web", 2, 128))
	waitFor(t, "placed, read back through a follower", func() bool {
		return liveAllocs(jobAllocs(t, followers[0], "web")) == 2
	})

	// The leader dies; a follower takes over and the state is intact.
	failOver(t, leader, followers)
	var job structs.SingleJobResponse
	if err := followers[1].RPC(structs.JobGetJobRPC, &structs.JobSpecificRequest{JobID: "web"}, &job); err != nil || job.Job == nil {
		t.Fatalf("job after failover: %+v, %v", job.Job, err)
	}
	// An evaluation the old leader finished, or one it had not yet marked
	// complete (the new leader processes it again), ends complete.
	waitFor(t, "evaluation complete after failover", func() bool {
		ev := getEval(t, followers[0], reply.EvalID)
		return ev != nil && ev.Status == structs.EvalStatusComplete
	})
	if n := liveAllocs(jobAllocs(t, followers[0], "web")); n != 2 {
		t.Fatalf("%d live allocations after failover, want 2 (no duplicates)", n)
	}
	registerJob(t, followers[0], testJob("after", 1, 64))
	waitFor(t, "a job submitted after the failover is placed", func() bool {
		return liveAllocs(jobAllocs(t, followers[1], "after")) == 1
	})
}

func TestCluster_StaleReadsAnswerWithoutLeader(t *testing.T) {
	servers := testCluster(t, 3)
	registerJob(t, servers[0], testJob("kept", 0, 64))
	leader, followers := leaderOf(servers)
	waitFor(t, "replicated", func() bool {
		j, _ := followers[0].State().JobByID(nil, structs.DefaultNamespace, "kept")
		return j != nil
	})
	// Take the cluster below quorum: reads with ?stale still answer from
	// the local copy; default reads fail with "no cluster leader".
	_ = leader.Shutdown()
	_ = followers[1].Shutdown()
	s := followers[0]
	waitFor(t, "no leader", func() bool { return s.Leader() == "" })
	var list structs.JobListResponse
	req := &structs.JobListRequest{QueryOptions: structs.QueryOptions{AllowStale: true}}
	if err := s.RPC(structs.JobListRPC, req, &list); err != nil || len(list.Jobs) != 1 {
		t.Fatalf("stale read: %d jobs, %v", len(list.Jobs), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.RPC(structs.JobListRPC, &structs.JobListRequest{}, &list) }()
	select {
	case err := <-done:
		if !errors.Is(err, structs.ErrNoLeader) {
			t.Fatalf("consistent read without a leader: want %v, got %v", structs.ErrNoLeader, err)
		}
	case <-ctx.Done():
		t.Fatal("consistent read without a leader hung")
	}
}
