package server

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
)

// Purge removes a node from the state whatever its status, and evaluates
// every job with live allocations on it in the same Raft entry: the
// scheduler marks them lost (their node no longer exists) and places them
// elsewhere. A client still running on that machine is no longer known:
// its heartbeats fail until it registers again.
func (n *Node) Purge(args *structs.NodePurgeRequest, reply *structs.NodePurgeResponse) error {
	if done, err := n.srv.forward(structs.NodePurgeRPC, false, args, reply); done {
		return err
	}
	if args.NodeID == "" {
		return fmt.Errorf("invalid: node ID is required")
	}
	node, err := n.srv.State().NodeByID(nil, args.NodeID)
	if err != nil {
		return fmt.Errorf("purge node %q: %w", args.NodeID, err)
	}
	if node == nil {
		return fmt.Errorf("node %q: %w", args.NodeID, structs.ErrNotFound)
	}
	evals, err := n.srv.nodeEvals(node.ID, structs.EvalTriggerNodePurge)
	if err != nil {
		return fmt.Errorf("purge node %s: %w", node.Name, err)
	}
	index, err := n.srv.raftApply(structs.NodePurgeRequestType, &structs.NodePurgeEntry{NodeID: node.ID, Evals: evals})
	if err != nil {
		return fmt.Errorf("purge node %s: %w", node.Name, err)
	}
	n.srv.heartbeats.forget(node.ID)
	for _, e := range evals {
		reply.EvalIDs = append(reply.EvalIDs, e.ID)
	}
	reply.Index = index
	return nil
}

// forget stops a removed node's heartbeat timer, so that it is not marked
// down after it is gone.
func (h *heartbeater) forget(nodeID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := h.timers[nodeID]; t != nil {
		t.Stop()
		delete(h.timers, nodeID)
	}
}
