package fsm

import (
	"fmt"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// The built-in service catalog (server/endpoint_service.go).
func init() {
	appliers[structs.ServiceRegistrationRequestType] = (*FSM).applyServiceRegistration
}

// applyServiceRegistration writes a catalog entry's deletions and upserts
// in one transaction.
func (f *FSM) applyServiceRegistration(index uint64, body []byte) error {
	var e structs.ServiceRegistrationEntry
	if err := structs.Decode(body, &e); err != nil {
		return err
	}
	err := f.State().Update(index, func(tx *state.WriteTxn) error { return tx.ApplyServiceRegistrations(&e) })
	if err != nil {
		return fmt.Errorf("service catalog: %w", err)
	}
	return nil
}
