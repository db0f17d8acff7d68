package fsm

import (
	"fmt"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// Garbage collection and node purge entries (server/core_gc.go,
// server/endpoint_node_purge.go), registered here so that the feature
// stays in its own files.
func init() {
	appliers[structs.CoreGCRequestType] = (*FSM).applyCoreGC
	appliers[structs.NodePurgeRequestType] = (*FSM).applyNodePurge
}

// applyCoreGC deletes a batch of collected objects; the state skips any
// that became referenced since the leader decided.
func (f *FSM) applyCoreGC(index uint64, body []byte) error {
	var e structs.CoreGCEntry
	if err := structs.Decode(body, &e); err != nil {
		return err
	}
	if _, err := f.State().ApplyCoreGC(index, &e); err != nil {
		return fmt.Errorf("garbage collection: %w", err)
	}
	return nil
}

// applyNodePurge removes a node and writes the evaluations that move its
// work elsewhere, in one transaction.
func (f *FSM) applyNodePurge(index uint64, body []byte) error {
	var e structs.NodePurgeEntry
	if err := structs.Decode(body, &e); err != nil {
		return err
	}
	if e.NodeID == "" {
		return fmt.Errorf("purge node: node ID is missing")
	}
	err := f.State().Update(index, func(tx *state.WriteTxn) error {
		if err := tx.PurgeNode(e.NodeID); err != nil {
			return err
		}
		return upsertEvals(tx, e.Evals)
	})
	if err != nil {
		return err
	}
	f.evalsUpserted(e.Evals)
	return nil
}
