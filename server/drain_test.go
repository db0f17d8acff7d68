package server

import (
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func TestServer_DrainMovesWorkAndEligibilityGuards(t *testing.T) {
	s := testServer(t, nil)
	n1, n2 := testNode("n1", 4000, 4096), testNode("n2", 4000, 4096)
	registerNode(t, s, n1)
	registerNode(t, s, n2)
	registerJob(t, s, testJob("svc", 1, 128))
	waitFor(t, "placed", func() bool { return liveAllocs(jobAllocs(t, s, "svc")) == 1 })
	first := jobAllocs(t, s, "svc")[0]
	from := n1
	if first.NodeID == n2.ID {
		from = n2
	}

	var reply structs.GenericResponse
	if err := s.RPC("Node.UpdateDrain", &structs.NodeDrainRequest{NodeID: from.ID, Drain: &structs.DrainStrategy{}}, &reply); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "work moved off the draining node", func() bool {
		for _, a := range jobAllocs(t, s, "svc") {
			if a.DesiredStatus == structs.AllocDesiredRun && a.NodeID != from.ID {
				return true
			}
		}
		return false
	})
	node, _ := s.State().NodeByID(nil, from.ID)
	if !node.IsDraining() || node.SchedulingEligibility != structs.NodeIneligible {
		t.Fatalf("drained node: draining=%v eligibility=%s", node.IsDraining(), node.SchedulingEligibility)
	}

	// Eligible while draining is refused; a client re-registering keeps
	// the drain; stopping the drain with mark_eligible makes it eligible.
	err := s.RPC("Node.UpdateEligibility", &structs.NodeEligibilityRequest{NodeID: from.ID, Eligibility: structs.NodeEligible}, &reply)
	if err == nil || !strings.Contains(err.Error(), "draining") {
		t.Fatalf("eligible while draining: want a refusal, got %v", err)
	}
	registerNode(t, s, from)
	if node, _ := s.State().NodeByID(nil, from.ID); !node.IsDraining() {
		t.Fatal("re-registration cleared the drain")
	}
	if err := s.RPC("Node.UpdateDrain", &structs.NodeDrainRequest{NodeID: from.ID, MarkEligible: true}, &reply); err != nil {
		t.Fatal(err)
	}
	node, _ = s.State().NodeByID(nil, from.ID)
	if node.IsDraining() || node.SchedulingEligibility != structs.NodeEligible {
		t.Fatalf("after drain stop: draining=%v eligibility=%s", node.IsDraining(), node.SchedulingEligibility)
	}
	err = s.RPC("Node.UpdateEligibility", &structs.NodeEligibilityRequest{NodeID: from.ID, Eligibility: "maybe"}, &reply)
	if !structs.IsValidation(err) {
		t.Fatalf("bad eligibility value: want a validation error, got %v", err)
	}
}
