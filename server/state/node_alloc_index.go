package state

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// TableNodeAllocs holds, per node, the Raft index of the latest
// server-side change to the node's allocations (placements, stops,
// collection). Clients watch it instead of the allocations themselves, so
// the status reports of thousands of tasks do not wake every node's
// allocation watch for nothing.
const TableNodeAllocs = "node_allocs"

// NodeAllocsIndex is one row of TableNodeAllocs.
type NodeAllocsIndex struct {
	NodeID string
	Index  uint64
}

// touchNodeAllocs records that a node's allocations changed server-side in
// this transaction; rows are written once per node in finish.
func (tx *WriteTxn) touchNodeAllocs(nodeID string) {
	if nodeID == "" {
		return
	}
	if tx.nodeAllocs == nil {
		tx.nodeAllocs = map[string]struct{}{}
	}
	tx.nodeAllocs[nodeID] = struct{}{}
}

func (tx *WriteTxn) writeNodeAllocs() error {
	for id := range tx.nodeAllocs {
		if err := tx.txn.Insert(TableNodeAllocs, &NodeAllocsIndex{NodeID: id, Index: tx.index}); err != nil {
			return fmt.Errorf("record allocation change of node %q: %w", id, err)
		}
	}
	return nil
}

// NodeAllocsIndex returns the index of the latest server-side change to a
// node's allocations (0 if none), watching only that.
func (s *StateStore) NodeAllocsIndex(ws memdb.WatchSet, nodeID string) (uint64, error) {
	ch, raw, err := s.db.Txn(false).FirstWatch(TableNodeAllocs, indexID, nodeID)
	if err != nil {
		return 0, fmt.Errorf("read allocation index of node %q: %w", nodeID, err)
	}
	ws.Add(ch)
	if raw == nil {
		return 0, nil
	}
	return raw.(*NodeAllocsIndex).Index, nil
}

// rebuildNodeAllocs derives TableNodeAllocs from the allocations (after a
// snapshot restore; the table itself is not persisted).
func rebuildNodeAllocs(txn *memdb.Txn) error {
	it, err := txn.Get(TableAllocs, indexID)
	if err != nil {
		return err
	}
	latest := map[string]uint64{}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		a := raw.(*structs.Allocation)
		if a.NodeID != "" && a.AllocModifyIndex > latest[a.NodeID] {
			latest[a.NodeID] = a.AllocModifyIndex
		}
	}
	for id, idx := range latest {
		if err := txn.Insert(TableNodeAllocs, &NodeAllocsIndex{NodeID: id, Index: idx}); err != nil {
			return err
		}
	}
	return nil
}
