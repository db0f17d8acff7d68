package fsm

import (
	"fmt"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

func init() {
	appliers[structs.ApplyPlanBatchRequestType] = (*FSM).applyPlanBatch
}

// applyPlanBatch commits several plans' results in one transaction, in the
// order the plan applier evaluated them.
func (f *FSM) applyPlanBatch(index uint64, body []byte) error {
	var e structs.ApplyPlanBatchEntry
	if err := structs.Decode(body, &e); err != nil {
		return err
	}
	stops := false
	for _, p := range e.Plans {
		if p == nil {
			return fmt.Errorf("plan batch: an empty plan entry")
		}
		for _, a := range p.AllocsPlaced {
			internAlloc(a)
		}
		stops = stops || len(p.AllocsStopped) > 0
	}
	err := f.State().Update(index, func(tx *state.WriteTxn) error {
		for _, p := range e.Plans {
			if err := tx.UpsertPlanResults(p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("apply %d plan(s): %w", len(e.Plans), err)
	}
	if stops {
		f.capacityChanged(index)
	}
	return nil
}
