package server

import (
	"fmt"
	"github.com/appmesh/appmesh/metrics"
	"time"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// Node is the RPC endpoint for client nodes.
type Node struct{ srv *Server }

// Register upserts a node, marks it ready and starts its heartbeat timer.
func (n *Node) Register(args *structs.NodeRegisterRequest, reply *structs.NodeUpdateResponse) error {
	if done, err := n.srv.forward("Node.Register", false, args, reply); done {
		return err
	}
	node := args.Node
	if node == nil || node.ID == "" || node.Name == "" {
		return fmt.Errorf("invalid: node with an id and a name is required")
	}
	if err := checkRegisterSecret(n.srv.State(), node.ID, args.SecretID); err != nil {
		return err
	}
	node = node.Copy()
	// Whatever hash the client sent is replaced by the secret it proved.
	node.SecretHash = structs.HashSecret(args.SecretID)
	node.Status = structs.NodeStatusReady
	node.StatusDescription = ""
	node.StatusUpdatedAt = time.Now().UnixNano()
	if node.Datacenter == "" {
		node.Datacenter = structs.DefaultDatacenter
	}
	// A node that comes back by registering again (its agent restarted)
	// has its jobs evaluated like one that heartbeats again: allocations
	// left unknown meanwhile are reconciled with their replacements.
	evals, err := n.srv.reconnectEvals(node.ID)
	if err != nil {
		return fmt.Errorf("register node %q: %w", node.Name, err)
	}
	index, err := n.srv.raftApply(structs.NodeRegisterRequestType, &structs.NodeRegisterEntry{Node: node, Evals: evals})
	if err != nil {
		return fmt.Errorf("register node %q: %w", node.Name, err)
	}
	n.fillUpdateResponse(reply, index, n.srv.heartbeats.reset(node.ID))
	return nil
}

// Heartbeat keeps a node alive; a node that was marked down becomes ready.
func (n *Node) Heartbeat(args *structs.NodeHeartbeatRequest, reply *structs.NodeUpdateResponse) error {
	if done, err := n.srv.forward("Node.Heartbeat", false, args, reply); done {
		return err
	}
	// Counted where it is handled: a follower that forwards a heartbeat
	// does not count it, so the figure is the leader's alone.
	metrics.Heartbeats.Inc()
	node, err := checkNodeSecret(n.srv.State(), args.NodeID, args.SecretID)
	if err != nil {
		return err
	}
	if node == nil {
		return fmt.Errorf("node %q: %w", args.NodeID, structs.ErrNotFound)
	}
	index := node.ModifyIndex
	if node.Status != structs.NodeStatusReady {
		entry := &structs.NodeStatusEntry{NodeID: node.ID, Status: structs.NodeStatusReady, UpdatedAt: time.Now().UnixNano()}
		if entry.Evals, err = n.srv.reconnectEvals(node.ID); err != nil {
			return fmt.Errorf("mark node %q ready: %w", node.Name, err)
		}
		if index, err = n.srv.raftApply(structs.NodeUpdateStatusRequestType, entry); err != nil {
			return fmt.Errorf("mark node %q ready: %w", node.Name, err)
		}
		// The servers may have marked its allocations unknown meanwhile:
		// the client reports them all again.
		reply.Reconnected = node.Status == structs.NodeStatusDown
	}
	if !n.srv.IsLeader() {
		return structs.ErrNoLeader
	}
	n.fillUpdateResponse(reply, index, n.srv.heartbeats.reset(node.ID))
	return nil
}

func (n *Node) fillUpdateResponse(reply *structs.NodeUpdateResponse, index uint64, ttl time.Duration) {
	reply.HeartbeatTTL = ttl
	reply.LeaderRPCAddr = n.srv.Leader()
	reply.Servers = n.srv.aliveServerAddrs()
	reply.Index = index
}

// GetNode returns one node (nil when missing).
func (n *Node) GetNode(args *structs.NodeSpecificRequest, reply *structs.SingleNodeResponse) error {
	if done, err := n.srv.forward("Node.GetNode", args.AllowStale, args, reply); done {
		return err
	}
	return n.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		node, err := st.NodeByID(ws, args.NodeID)
		if err != nil {
			return 0, err
		}
		reply.Node = node.Sanitize()
		if node != nil {
			return node.ModifyIndex, nil
		}
		return st.Index("nodes")
	})
}

// List returns every node.
func (n *Node) List(args *structs.NodeListRequest, reply *structs.NodeListResponse) error {
	if done, err := n.srv.forward("Node.List", args.AllowStale, args, reply); done {
		return err
	}
	return n.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		nodes, err := st.Nodes(ws)
		if err != nil {
			return 0, err
		}
		reply.Nodes = make([]*structs.NodeListStub, 0, len(nodes))
		for _, node := range nodes {
			if args.Prefix != "" && !hasPrefix(node.ID, args.Prefix) {
				continue
			}
			reply.Nodes = append(reply.Nodes, node.Stub())
		}
		return st.Index("nodes")
	})
}

// GetClientAllocs returns the node's allocation IDs with their
// AllocModifyIndex. Its index only moves on server-side changes to the
// node's allocations, so a client's own status reports do not wake it.
func (n *Node) GetClientAllocs(args *structs.NodeSpecificRequest, reply *structs.NodeClientAllocsResponse) error {
	if done, err := n.srv.forward("Node.GetClientAllocs", args.AllowStale, args, reply); done {
		return err
	}
	if _, err := checkNodeSecret(n.srv.State(), args.NodeID, args.SecretID); err != nil {
		return err
	}
	return n.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		// Watch only the node's server-side change index: the clients'
		// own status reports change the allocations too, and must not
		// wake this query.
		allocs, full, changed, err := st.NodeAllocChanges(ws, args.NodeID, args.MinQueryIndex)
		if err != nil {
			return 0, err
		}
		reply.Full = full
		reply.Allocs = make(map[string]uint64, len(allocs))
		idx := changed
		for _, a := range allocs {
			reply.Allocs[a.ID] = a.AllocModifyIndex
			idx = maxIndex(idx, a.AllocModifyIndex)
		}
		return idx, nil
	})
}

// UpdateAlloc applies a batch of client-reported allocation statuses.
func (n *Node) UpdateAlloc(args *structs.AllocUpdateRequest, reply *structs.GenericResponse) error {
	if done, err := n.srv.forward("Node.UpdateAlloc", false, args, reply); done {
		return err
	}
	if len(args.Allocs) == 0 {
		return fmt.Errorf("invalid: at least one allocation update is required")
	}
	for i, u := range args.Allocs {
		if u == nil || u.ID == "" {
			return fmt.Errorf("invalid: allocation update %d has no allocation ID", i)
		}
	}
	node, err := checkNodeSecret(n.srv.State(), args.NodeID, args.SecretID)
	if err != nil {
		return err
	}
	if node == nil {
		return permissionDenied("node %s is not registered: only a registered node reports on its allocations", args.NodeID)
	}
	if err := checkAllocsOnNode(n.srv.State(), args.NodeID, args.Allocs); err != nil {
		return err
	}
	if err := keepManualHealth(n.srv.State(), args.Allocs); err != nil {
		return fmt.Errorf("update allocations of node %q: %w", args.NodeID, err)
	}
	evals, err := rollingUpdateEvals(n.srv.State(), args.Allocs)
	if err != nil {
		return fmt.Errorf("update allocations of node %q: %w", args.NodeID, err)
	}
	failed, err := failedAllocEvals(n.srv.State(), args.Allocs, evals)
	if err != nil {
		return fmt.Errorf("update allocations of node %q: %w", args.NodeID, err)
	}
	evals = append(evals, failed...)
	index, err := n.srv.allocAcks.write(args.Allocs, evals)
	if err != nil {
		return fmt.Errorf("update %d allocation(s) of node %q: %w", len(args.Allocs), args.NodeID, err)
	}
	// Health and status changes may make the job's version stable or its
	// update failed; the leader's rollout watcher decides.
	n.srv.rollouts.notify(n.srv.State(), args.Allocs)
	reply.Index = index
	return nil
}
