package fsm

import (
	"fmt"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// applyPeriodicLaunch records a periodic launch together with the child
// job and its evaluation, so that a launch is either fully recorded or not
// at all (a new leader then neither repeats nor drops it).
func (f *FSM) applyPeriodicLaunch(index uint64, body []byte) error {
	var e structs.PeriodicLaunchEntry
	if err := structs.Decode(body, &e); err != nil {
		return err
	}
	if e.Launch == nil {
		return fmt.Errorf("periodic launch: launch record is missing")
	}
	err := f.State().Update(index, func(tx *state.WriteTxn) error {
		return tx.ApplyPeriodicLaunch(&e)
	})
	if err != nil {
		return fmt.Errorf("periodic launch of job %q: %w", e.Launch.ID, err)
	}
	f.evalsUpserted(optionalEval(e.Eval))
	return nil
}
