package state

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// TableNodeUsage holds one structs.NodeUsage per node: the sum of what
// its non-terminal allocations use, kept by every allocation write. It is
// a table of its own, apart from TableNodeAllocs, so that a usage change
// (an allocation finishing) does not wake the node's allocation watch.
const TableNodeUsage = "node_usage"

// countUsage records the usage change of replacing old with a (either may
// be nil): the rows are written once per node in finish.
func (tx *WriteTxn) countUsage(old, a *structs.Allocation) {
	if old != nil && !old.TerminalStatus() {
		tx.usageDelta(old.NodeID).Add(old, -1)
	}
	if a != nil && !a.TerminalStatus() {
		tx.usageDelta(a.NodeID).Add(a, 1)
	}
}

func (tx *WriteTxn) usageDelta(nodeID string) *structs.NodeUsage {
	if tx.usage == nil {
		tx.usage = map[string]*structs.NodeUsage{}
	}
	d := tx.usage[nodeID]
	if d == nil {
		d = &structs.NodeUsage{NodeID: nodeID}
		tx.usage[nodeID] = d
	}
	return d
}

// writeNodeUsage applies the transaction's usage deltas. Rows that come to
// zero are deleted, so a node that ran work once costs nothing later.
func (tx *WriteTxn) writeNodeUsage() error {
	for id, d := range tx.usage {
		if id == "" || d.Empty() {
			continue // a report that changed nothing, e.g. pending → running
		}
		row := &structs.NodeUsage{NodeID: id}
		raw, err := tx.txn.First(TableNodeUsage, indexID, id)
		if err != nil {
			return fmt.Errorf("read usage of node %q: %w", id, err)
		}
		if raw != nil {
			*row = *raw.(*structs.NodeUsage)
		}
		row.Used.Add(&d.Used)
		row.Live += d.Live
		row.WithPorts += d.WithPorts
		if row.Empty() {
			if raw != nil {
				if err := tx.txn.Delete(TableNodeUsage, raw); err != nil {
					return fmt.Errorf("clear usage of node %q: %w", id, err)
				}
			}
			continue
		}
		if err := tx.txn.Insert(TableNodeUsage, row); err != nil {
			return fmt.Errorf("record usage of node %q: %w", id, err)
		}
	}
	return nil
}

// NodeUsage returns what the node's non-terminal allocations use (a zero
// usage for a node without any).
func (s *StateStore) NodeUsage(ws memdb.WatchSet, nodeID string) (*structs.NodeUsage, error) {
	ch, raw, err := s.db.Txn(false).FirstWatch(TableNodeUsage, indexID, nodeID)
	if err != nil {
		return nil, fmt.Errorf("read usage of node %q: %w", nodeID, err)
	}
	ws.Add(ch)
	if raw == nil {
		return &structs.NodeUsage{NodeID: nodeID}, nil
	}
	return raw.(*structs.NodeUsage), nil
}
