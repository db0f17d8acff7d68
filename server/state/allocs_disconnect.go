package state

import "github.com/appmesh/appmesh/structs"

// MarkAllocsUnknown sets the client status of the listed allocations to
// unknown: their node stopped heartbeating and their group keeps them for
// a disconnect window instead of losing them at once. at (unix
// nanoseconds) starts the window. Allocations that ended or are gone
// since the leader listed them are skipped.
func (tx *WriteTxn) MarkAllocsUnknown(ids []string, at int64) error {
	if len(ids) == 0 {
		return nil
	}
	tx.touchTable(TableAllocs)
	for _, id := range ids {
		old, err := tx.alloc(id)
		if err != nil {
			return err
		}
		if old == nil || old.TerminalStatus() {
			continue
		}
		c := old.Copy()
		c.ClientStatus = structs.AllocClientUnknown
		c.ClientDescription = "node stopped heartbeating; the allocation may still run"
		c.DisconnectedAt = at
		// AllocModifyIndex is left alone: this is no instruction for the
		// client, which cannot hear it anyway.
		c.ModifyIndex, c.ModifyTime = tx.index, at
		if err := tx.insertAlloc(old, c); err != nil {
			return err
		}
	}
	return nil
}
