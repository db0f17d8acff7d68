package fsm

import (
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// applyNodeUpdate changes a node's eligibility and/or drain state and
// stores the evaluations of the jobs that must move, in one transaction.
func (f *FSM) applyNodeUpdate(index uint64, body []byte) error {
	var e structs.NodeUpdateEntry
	if err := structs.Decode(body, &e); err != nil {
		return err
	}
	err := f.State().Update(index, func(tx *state.WriteTxn) error {
		if e.Drain != nil || e.ClearDrain {
			if err := tx.UpdateNodeDrain(e.NodeID, e.Drain, e.ClearDrain); err != nil {
				return err
			}
		}
		if e.Eligibility != "" {
			if err := tx.UpdateNodeEligibility(e.NodeID, e.Eligibility); err != nil {
				return err
			}
		}
		return upsertEvals(tx, e.Evals)
	})
	if err != nil {
		return err
	}
	f.evalsUpserted(e.Evals)
	if e.Eligibility == structs.NodeEligible {
		f.capacityChanged(index)
	}
	return nil
}
