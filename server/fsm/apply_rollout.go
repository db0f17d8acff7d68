package fsm

import (
	"fmt"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// The rollout entry is registered here rather than in apply.go's table so
// that the feature stays in its own file.
func init() {
	appliers[structs.JobRolloutRequestType] = (*FSM).applyJobRollout
}

// applyJobRollout marks a job version stable or its update failed.
func (f *FSM) applyJobRollout(index uint64, body []byte) error {
	var e structs.JobRolloutEntry
	if err := structs.Decode(body, &e); err != nil {
		return err
	}
	if e.JobID == "" {
		return fmt.Errorf("job rollout: job ID is missing")
	}
	evals := optionalEval(e.Eval)
	err := f.State().Update(index, func(tx *state.WriteTxn) error {
		if err := tx.ApplyJobRollout(&e); err != nil {
			return err
		}
		return upsertEvals(tx, evals)
	})
	if err != nil {
		return fmt.Errorf("job rollout of %q version %d: %w", e.JobID, e.Version, err)
	}
	f.evalsUpserted(evals)
	return nil
}
