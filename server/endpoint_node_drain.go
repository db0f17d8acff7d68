package server

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// UpdateEligibility enables or disables placing new work on a node.
func (n *Node) UpdateEligibility(args *structs.NodeEligibilityRequest, reply *structs.GenericResponse) error {
	if done, err := n.srv.forward("Node.UpdateEligibility", false, args, reply); done {
		return err
	}
	if args.Eligibility != structs.NodeEligible && args.Eligibility != structs.NodeIneligible {
		return fmt.Errorf("invalid: eligibility %q: use %q or %q", args.Eligibility, structs.NodeEligible, structs.NodeIneligible)
	}
	node, err := n.srv.State().NodeByID(nil, args.NodeID)
	if err != nil {
		return err
	}
	if node == nil {
		return fmt.Errorf("node %q: %w", args.NodeID, structs.ErrNotFound)
	}
	if node.IsDraining() && args.Eligibility == structs.NodeEligible {
		return fmt.Errorf("invalid: node %s is draining: stop the drain with `node drain -disable` first", node.Name)
	}
	index, err := n.srv.raftApply(structs.NodeUpdateRequestType, &structs.NodeUpdateEntry{NodeID: node.ID, Eligibility: args.Eligibility})
	if err != nil {
		return fmt.Errorf("update eligibility of node %s: %w", node.Name, err)
	}
	reply.Index = index
	return nil
}

// UpdateDrain starts or stops draining a node. Starting marks it
// ineligible and evaluates every job with work on it, so the scheduler
// moves that work elsewhere.
func (n *Node) UpdateDrain(args *structs.NodeDrainRequest, reply *structs.GenericResponse) error {
	if done, err := n.srv.forward("Node.UpdateDrain", false, args, reply); done {
		return err
	}
	node, err := n.srv.State().NodeByID(nil, args.NodeID)
	if err != nil {
		return err
	}
	if node == nil {
		return fmt.Errorf("node %q: %w", args.NodeID, structs.ErrNotFound)
	}
	entry := &structs.NodeUpdateEntry{NodeID: node.ID}
	if args.Drain != nil {
		if args.Drain.Deadline < 0 {
			return fmt.Errorf("invalid: drain deadline must not be negative")
		}
		now := time.Now().UnixNano()
		d := *args.Drain
		d.StartedAt = now
		d.ForceDeadline = now + int64(d.Deadline)
		entry.Drain = &d
		if entry.Evals, err = n.srv.nodeEvals(node.ID, structs.EvalTriggerNodeDrain); err != nil {
			return err
		}
	} else {
		entry.ClearDrain = true
		if args.MarkEligible {
			entry.Eligibility = structs.NodeEligible
		}
	}
	index, err := n.srv.raftApply(structs.NodeUpdateRequestType, entry)
	if err != nil {
		return fmt.Errorf("drain node %s: %w", node.Name, err)
	}
	reply.Index = index
	return nil
}
