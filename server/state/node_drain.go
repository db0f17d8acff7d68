package state

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
)

// UpdateNodeDrain starts a drain (strategy != nil: the node becomes
// ineligible) or ends one (clear), leaving eligibility to the caller.
func (tx *WriteTxn) UpdateNodeDrain(nodeID string, strategy *structs.DrainStrategy, clear bool) error {
	old, err := tx.node(nodeID)
	if err != nil {
		return err
	}
	if old == nil {
		return fmt.Errorf("drain node %q: %w", nodeID, structs.ErrNotFound)
	}
	c := old.Copy()
	switch {
	case strategy != nil:
		d := *strategy
		c.DrainStrategy = &d
		c.SchedulingEligibility = structs.NodeIneligible
	case clear:
		c.DrainStrategy = nil
	}
	c.ModifyIndex = tx.index
	if err := tx.txn.Insert(TableNodes, c); err != nil {
		return fmt.Errorf("drain node %q: %w", nodeID, err)
	}
	tx.touchTable(TableNodes)
	return nil
}
