package server

import (
	"context"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// heartbeatUntil heartbeats node through s every period until stop closes.
func heartbeatUntil(s *Server, node *structs.Node, period time.Duration, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(period):
			var r structs.NodeUpdateResponse
			_ = s.RPC(structs.NodeHeartbeatRPC, &structs.NodeHeartbeatRequest{NodeID: node.ID, SecretID: testSecret(node.ID)}, &r)
		}
	}
}

func nodeStatusOn(s *Server, id string) string {
	n, err := s.State().NodeByID(nil, id)
	if err != nil || n == nil {
		return ""
	}
	return n.Status
}

// A new leader must not mark down a node that heartbeated the old one on
// time: the node may not learn of the new leader before its next
// heartbeat, which its TTL (scaled with the cluster size) may put far
// off. The new leader waits the failover TTL.
func TestFailover_NewLeaderKeepsSilentNodesUpForFailoverTTL(t *testing.T) {
	servers := testClusterWith(t, 3, func(c *Config) { c.HeartbeatTTL = 300 * time.Millisecond })
	leader, followers := leaderOf(servers)
	node := testNode("quiet", 4000, 4096)
	registerNode(t, followers[0], node)
	stop := make(chan struct{})
	go heartbeatUntil(followers[0], node, 50*time.Millisecond, stop)
	waitFor(t, "node ready on every server", func() bool {
		return nodeStatusOn(followers[0], node.ID) == structs.NodeStatusReady &&
			nodeStatusOn(followers[1], node.ID) == structs.NodeStatusReady
	})
	close(stop)
	failOver(t, leader, followers)
	newLeader, _ := leaderOf(followers)
	if newLeader == nil {
		t.Fatal("no new leader")
	}
	// Several base TTLs of silence: the old code gave 2×TTL here.
	time.Sleep(2 * time.Second)
	if st := nodeStatusOn(newLeader, node.ID); st != structs.NodeStatusReady {
		t.Fatalf("node status after failover = %q, want ready (failover TTL not respected)", st)
	}
}

// The failover TTL is a grace, not immunity: a node that never comes back
// is marked down once it passes.
func TestFailover_DeadNodeDownAfterFailoverTTL(t *testing.T) {
	servers := testClusterWith(t, 3, func(c *Config) {
		c.HeartbeatTTL = 300 * time.Millisecond
		c.FailoverHeartbeatTTL = time.Second
	})
	leader, followers := leaderOf(servers)
	node := testNode("gone", 4000, 4096)
	registerNode(t, followers[0], node)
	failOver(t, leader, followers)
	newLeader, _ := leaderOf(followers)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for nodeStatusOn(newLeader, node.ID) != structs.NodeStatusDown {
		if ctx.Err() != nil {
			t.Fatalf("node never marked down after failover (status %q)", nodeStatusOn(newLeader, node.ID))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A drain deadline is node state, not a timer on the server that took the
// request: a new leader stops the batch work left on the node when it
// passes.
func TestFailover_DrainDeadlineSurvivesLeaderLoss(t *testing.T) {
	servers := testCluster(t, 3)
	leader, followers := leaderOf(servers)
	via := followers[0]
	n1, n2 := testNode("n1", 4000, 4096), testNode("n2", 4000, 4096)
	registerNode(t, via, n1)
	stop := make(chan struct{})
	defer close(stop)
	go heartbeatUntil(via, n1, 500*time.Millisecond, stop)
	job := testJob("crunch", 1, 64)
	job.Type = structs.JobTypeBatch
	registerJob(t, via, job)
	waitFor(t, "batch work placed on n1", func() bool { return liveAllocs(jobAllocs(t, via, "crunch")) == 1 })
	registerNode(t, via, n2)
	go heartbeatUntil(via, n2, 500*time.Millisecond, stop)

	var reply structs.GenericResponse
	drain := &structs.DrainStrategy{Deadline: structs.Duration(3 * time.Second)}
	if err := via.RPC("Node.UpdateDrain", &structs.NodeDrainRequest{NodeID: n1.ID, Drain: drain}, &reply); err != nil {
		t.Fatal(err)
	}
	failOver(t, leader, followers)
	waitFor(t, "the batch work on n1 stopped at the drain deadline by the new leader", func() bool {
		for _, a := range jobAllocs(t, via, "crunch") {
			if a.NodeID == n1.ID && a.DesiredStatus == structs.AllocDesiredStop {
				return true
			}
		}
		return false
	})
}
