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
	// DeleteIndex is the latest index at which an allocation of the node
	// was deleted (garbage collected). A client whose last answer is older
	// must be sent the full list: a list of changes cannot tell it what
	// is gone.
	DeleteIndex uint64
}

// nodeChange is what a transaction did to one node's allocations.
type nodeChange struct{ removed bool }

// touchNodeAllocs records that a node's allocations changed server-side in
// this transaction; rows are written once per node in finish.
func (tx *WriteTxn) touchNodeAllocs(nodeID string) {
	tx.nodeChange(nodeID)
}

// removedFromNode records that one of the node's allocations was deleted.
func (tx *WriteTxn) removedFromNode(nodeID string) {
	if c := tx.nodeChange(nodeID); c != nil {
		c.removed = true
	}
}

func (tx *WriteTxn) nodeChange(nodeID string) *nodeChange {
	if nodeID == "" {
		return nil
	}
	if tx.nodeAllocs == nil {
		tx.nodeAllocs = map[string]*nodeChange{}
	}
	c := tx.nodeAllocs[nodeID]
	if c == nil {
		c = &nodeChange{}
		tx.nodeAllocs[nodeID] = c
	}
	return c
}

func (tx *WriteTxn) writeNodeAllocs() error {
	for id, change := range tx.nodeAllocs {
		row := &NodeAllocsIndex{NodeID: id, Index: tx.index}
		raw, err := tx.txn.First(TableNodeAllocs, indexID, id)
		if err != nil {
			return fmt.Errorf("read allocation change of node %q: %w", id, err)
		}
		if raw != nil {
			row.DeleteIndex = raw.(*NodeAllocsIndex).DeleteIndex
		}
		if change.removed {
			row.DeleteIndex = tx.index
		}
		if err := tx.txn.Insert(TableNodeAllocs, row); err != nil {
			return fmt.Errorf("record allocation change of node %q: %w", id, err)
		}
	}
	return nil
}

// NodeAllocChanges answers a client's allocation watch. With since > 0 and
// no deletion on the node after since, it returns only the allocations
// whose server-side modify index is above since (full = false); otherwise
// every allocation of the node (full = true). index is the node's latest
// server-side change. It watches only the node's change row.
func (s *StateStore) NodeAllocChanges(ws memdb.WatchSet, nodeID string, since uint64) (allocs []*structs.Allocation, full bool, index uint64, err error) {
	txn := s.db.Txn(false)
	ch, raw, err := txn.FirstWatch(TableNodeAllocs, indexID, nodeID)
	if err != nil {
		return nil, false, 0, fmt.Errorf("read allocation index of node %q: %w", nodeID, err)
	}
	ws.Add(ch)
	var row *NodeAllocsIndex
	if raw != nil {
		row = raw.(*NodeAllocsIndex)
		index = row.Index
	}
	full = since == 0 || row == nil || row.DeleteIndex > since
	var it memdb.ResultIterator
	if full {
		it, err = txn.Get(TableAllocs, indexNode+"_prefix", nodeID)
	} else {
		it, err = txn.LowerBound(TableAllocs, indexNode, nodeID, since+1)
	}
	if err != nil {
		return nil, false, 0, fmt.Errorf("list allocations of node %q: %w", nodeID, err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		a := raw.(*structs.Allocation)
		if a.NodeID != nodeID {
			break // a lower-bound scan runs on into the next node
		}
		allocs = append(allocs, a)
	}
	return allocs, full, index, nil
}

// rebuildNodeAllocs derives TableNodeAllocs and TableNodeUsage from the
// allocations after a snapshot restore (neither table is persisted). The
// deletions before the snapshot are unknown, so every row's DeleteIndex is
// set to the snapshot's latest index: each client's next answer is full.
func rebuildNodeAllocs(txn *memdb.Txn) error {
	it, err := txn.Get(TableAllocs, indexID)
	if err != nil {
		return err
	}
	latest := map[string]uint64{}
	usage := map[string]*structs.NodeUsage{}
	var top uint64
	for raw := it.Next(); raw != nil; raw = it.Next() {
		a := raw.(*structs.Allocation)
		top = max(top, a.ModifyIndex, a.AllocModifyIndex)
		if a.NodeID == "" {
			continue
		}
		latest[a.NodeID] = max(latest[a.NodeID], a.AllocModifyIndex)
		if !a.TerminalStatus() {
			u := usage[a.NodeID]
			if u == nil {
				u = &structs.NodeUsage{NodeID: a.NodeID}
				usage[a.NodeID] = u
			}
			u.Add(a, 1)
		}
	}
	if top, err = latestTableIndex(txn, top); err != nil {
		return err
	}
	for id, idx := range latest {
		if err := txn.Insert(TableNodeAllocs, &NodeAllocsIndex{NodeID: id, Index: idx, DeleteIndex: top}); err != nil {
			return err
		}
	}
	for _, u := range usage {
		if err := txn.Insert(TableNodeUsage, u); err != nil {
			return err
		}
	}
	return nil
}

// latestTableIndex is the highest index any table records, or floor.
func latestTableIndex(txn *memdb.Txn, floor uint64) (uint64, error) {
	it, err := txn.Get(TableIndex, indexID)
	if err != nil {
		return 0, err
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		floor = max(floor, raw.(*IndexEntry).Value)
	}
	return floor, nil
}
