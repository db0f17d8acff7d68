package fsm

import (
	"fmt"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// The mesh CA's roots (server/mesh_ca.go). The leader generates keys and
// certificates and the entry carries them, so applying is deterministic.
func init() {
	appliers[structs.MeshCARootsRequestType] = func(f *FSM, index uint64, body []byte) error {
		var e structs.MeshCARootsEntry
		if err := structs.Decode(body, &e); err != nil {
			return err
		}
		if err := f.State().Update(index, func(tx *state.WriteTxn) error { return tx.ApplyMeshCARoots(&e) }); err != nil {
			return fmt.Errorf("mesh CA roots: %w", err)
		}
		return nil
	}
}
