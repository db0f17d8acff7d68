package fsm

import (
	"fmt"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// The mesh's intentions and traffic splits (server/endpoint_mesh_intentions.go,
// server/endpoint_mesh_splits.go): one entry type each, upsert or delete.
func init() {
	appliers[structs.MeshIntentionRequestType] = (*FSM).applyMeshIntention
	appliers[structs.MeshSplitRequestType] = (*FSM).applyMeshSplit
}

func (f *FSM) applyMeshIntention(index uint64, body []byte) error {
	var e structs.MeshIntentionEntry
	if err := structs.Decode(body, &e); err != nil {
		return err
	}
	if err := f.State().Update(index, func(tx *state.WriteTxn) error { return tx.ApplyMeshIntention(&e) }); err != nil {
		return fmt.Errorf("mesh intention %s: %w", e.Op, err)
	}
	return nil
}

func (f *FSM) applyMeshSplit(index uint64, body []byte) error {
	var e structs.MeshSplitEntry
	if err := structs.Decode(body, &e); err != nil {
		return err
	}
	if err := f.State().Update(index, func(tx *state.WriteTxn) error { return tx.ApplyMeshSplit(&e) }); err != nil {
		return fmt.Errorf("mesh split %s: %w", e.Op, err)
	}
	return nil
}
