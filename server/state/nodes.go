package state

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// UpsertNode registers a node or updates its fingerprint.
func (s *StateStore) UpsertNode(index uint64, node *structs.Node) error {
	return s.Update(index, func(tx *WriteTxn) error { return tx.UpsertNode(node) })
}

// UpdateNodeStatus changes a node's status (heartbeat, node down).
func (s *StateStore) UpdateNodeStatus(index uint64, nodeID, status string, updatedAt int64) error {
	return s.Update(index, func(tx *WriteTxn) error { return tx.UpdateNodeStatus(nodeID, status, updatedAt) })
}

// UpdateNodeEligibility sets a node's scheduling eligibility (an operator
// decision that re-registration keeps).
func (s *StateStore) UpdateNodeEligibility(index uint64, nodeID, eligibility string) error {
	return s.Update(index, func(tx *WriteTxn) error { return tx.UpdateNodeEligibility(nodeID, eligibility) })
}

// DeleteNodes removes nodes; unknown IDs are ignored.
func (s *StateStore) DeleteNodes(index uint64, ids []string) error {
	return s.Update(index, func(tx *WriteTxn) error { return tx.DeleteNodes(ids) })
}

// UpsertNode stores a copy of node. On re-registration CreateIndex and the
// scheduling eligibility are kept: eligibility is an operator's decision
// that a client restart must not undo. New nodes default to eligible.
func (tx *WriteTxn) UpsertNode(node *structs.Node) error {
	if node == nil || node.ID == "" {
		return fmt.Errorf("upsert node: ID is missing")
	}
	c := node.Copy()
	old, err := tx.node(c.ID)
	if err != nil {
		return err
	}
	c.CreateIndex = tx.index
	if old != nil {
		c.CreateIndex = old.CreateIndex
		if old.SchedulingEligibility != "" {
			c.SchedulingEligibility = old.SchedulingEligibility
		}
		// A drain, like eligibility, survives a client restart.
		c.DrainStrategy = old.DrainStrategy
	}
	if c.SchedulingEligibility == "" {
		c.SchedulingEligibility = structs.NodeEligible
	}
	c.ModifyIndex = tx.index
	if err := tx.txn.Insert(TableNodes, c); err != nil {
		return fmt.Errorf("upsert node %q: %w", c.ID, err)
	}
	tx.touchTable(TableNodes)
	return nil
}

// UpdateNodeStatus: see StateStore.UpdateNodeStatus. updatedAt is in unix
// nanoseconds.
func (tx *WriteTxn) UpdateNodeStatus(nodeID, status string, updatedAt int64) error {
	old, err := tx.node(nodeID)
	if err != nil {
		return err
	}
	if old == nil {
		return fmt.Errorf("update status of node %q: %w", nodeID, structs.ErrNotFound)
	}
	c := old.Copy()
	c.Status, c.StatusUpdatedAt, c.ModifyIndex = status, updatedAt, tx.index
	if err := tx.txn.Insert(TableNodes, c); err != nil {
		return fmt.Errorf("update status of node %q: %w", nodeID, err)
	}
	tx.touchTable(TableNodes)
	if status == structs.NodeStatusDown {
		// A down node's instances are unreachable: out of the catalog.
		return tx.deleteServicesBy(indexNode, nodeID)
	}
	return nil
}

// UpdateNodeEligibility: see StateStore.UpdateNodeEligibility.
func (tx *WriteTxn) UpdateNodeEligibility(nodeID, eligibility string) error {
	if eligibility != structs.NodeEligible && eligibility != structs.NodeIneligible {
		return fmt.Errorf("set eligibility of node %q: %q is invalid: use %q or %q",
			nodeID, eligibility, structs.NodeEligible, structs.NodeIneligible)
	}
	old, err := tx.node(nodeID)
	if err != nil {
		return err
	}
	if old == nil {
		return fmt.Errorf("set eligibility of node %q: %w", nodeID, structs.ErrNotFound)
	}
	c := old.Copy()
	c.SchedulingEligibility, c.ModifyIndex = eligibility, tx.index
	if err := tx.txn.Insert(TableNodes, c); err != nil {
		return fmt.Errorf("set eligibility of node %q: %w", nodeID, err)
	}
	tx.touchTable(TableNodes)
	return nil
}

// DeleteNodes: see StateStore.DeleteNodes.
func (tx *WriteTxn) DeleteNodes(ids []string) error {
	tx.touchTable(TableNodes)
	for _, id := range ids {
		n, err := tx.node(id)
		if err != nil {
			return err
		}
		if n == nil {
			continue
		}
		if err := tx.txn.Delete(TableNodes, n); err != nil {
			return fmt.Errorf("delete node %q: %w", id, err)
		}
		if err := tx.deleteServicesBy(indexNode, id); err != nil {
			return err
		}
	}
	return nil
}

func (tx *WriteTxn) node(id string) (*structs.Node, error) {
	raw, err := tx.txn.First(TableNodes, indexID, id)
	if err != nil {
		return nil, fmt.Errorf("read node %q: %w", id, err)
	}
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Node), nil
}

// NodeByID returns a node, or nil.
func (s *StateStore) NodeByID(ws memdb.WatchSet, id string) (*structs.Node, error) {
	ch, raw, err := s.db.Txn(false).FirstWatch(TableNodes, indexID, id)
	if err != nil {
		return nil, fmt.Errorf("read node %q: %w", id, err)
	}
	ws.Add(ch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Node), nil
}

// NodeByName returns the node with that name, or nil. Names are not unique
// (a reinstalled machine registers a new ID under its old name); the most
// recently modified node wins.
func (s *StateStore) NodeByName(ws memdb.WatchSet, name string) (*structs.Node, error) {
	it, err := s.db.Txn(false).Get(TableNodes, indexName, name)
	if err != nil {
		return nil, fmt.Errorf("read node named %q: %w", name, err)
	}
	ws.Add(it.WatchCh())
	var best *structs.Node
	for raw := it.Next(); raw != nil; raw = it.Next() {
		n := raw.(*structs.Node)
		if best == nil || n.ModifyIndex > best.ModifyIndex {
			best = n
		}
	}
	return best, nil
}

// Nodes returns every node, sorted by ID.
func (s *StateStore) Nodes(ws memdb.WatchSet) ([]*structs.Node, error) {
	it, err := s.db.Txn(false).Get(TableNodes, indexID)
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	ws.Add(it.WatchCh())
	var out []*structs.Node
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*structs.Node))
	}
	return out, nil
}
