package fsm

import (
	"fmt"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

type applyFunc func(f *FSM, index uint64, body []byte) error

// appliers maps each message type to its handler. Each handler writes its
// whole entry in one state transaction, then notifies the listener.
var appliers = map[structs.MessageType]applyFunc{
	structs.NodeRegisterRequestType:      (*FSM).applyNodeRegister,
	structs.NodeUpdateStatusRequestType:  (*FSM).applyNodeStatus,
	structs.JobRegisterRequestType:       (*FSM).applyJobRegister,
	structs.JobDeregisterRequestType:     (*FSM).applyJobDeregister,
	structs.EvalUpdateRequestType:        (*FSM).applyEvalUpdate,
	structs.AllocClientUpdateRequestType: (*FSM).applyAllocClientUpdate,
	structs.ApplyPlanResultsRequestType:  (*FSM).applyPlanResults,
	structs.EvalDeleteRequestType:        (*FSM).applyEvalDelete,
	structs.NodeDeregisterRequestType:    (*FSM).applyNodeDeregister,
	structs.NodeUpdateRequestType:        (*FSM).applyNodeUpdate,
	structs.PeriodicLaunchRequestType:    (*FSM).applyPeriodicLaunch,
}

func (f *FSM) applyNodeRegister(index uint64, body []byte) error {
	var e structs.NodeRegisterEntry
	if err := structs.Decode(body, &e); err != nil {
		return err
	}
	if e.Node == nil {
		return fmt.Errorf("register node: node is missing")
	}
	err := f.State().Update(index, func(tx *state.WriteTxn) error {
		if err := tx.UpsertNode(e.Node); err != nil {
			return err
		}
		return upsertEvals(tx, e.Evals)
	})
	if err != nil {
		return err
	}
	f.evalsUpserted(e.Evals)
	// A ready node, new or re-registered with a new fingerprint, may fit
	// what did not fit before.
	if e.Node.Status == structs.NodeStatusReady {
		f.capacityChanged(index)
	}
	return nil
}

func (f *FSM) applyNodeStatus(index uint64, body []byte) error {
	var e structs.NodeStatusEntry
	if err := structs.Decode(body, &e); err != nil {
		return err
	}
	old, err := f.State().NodeByID(nil, e.NodeID)
	if err != nil {
		return err
	}
	err = f.State().Update(index, func(tx *state.WriteTxn) error {
		if err := tx.UpdateNodeStatus(e.NodeID, e.Status, e.UpdatedAt); err != nil {
			return err
		}
		if err := tx.MarkAllocsUnknown(e.UnknownAllocs, e.UpdatedAt); err != nil {
			return err
		}
		return upsertEvals(tx, e.Evals)
	})
	if err != nil {
		return err
	}
	f.evalsUpserted(e.Evals)
	if e.Status == structs.NodeStatusReady && (old == nil || old.Status != structs.NodeStatusReady) {
		f.capacityChanged(index)
	}
	return nil
}

// applyJobRegister stores the job and its evaluation atomically. The
// leader sets Job.SubmitTime; it is the submit time of a new version.
func (f *FSM) applyJobRegister(index uint64, body []byte) error {
	var e structs.JobRegisterEntry
	if err := structs.Decode(body, &e); err != nil {
		return err
	}
	if e.Job == nil {
		return fmt.Errorf("register job: job is missing")
	}
	evals := optionalEval(e.Eval)
	err := f.State().Update(index, func(tx *state.WriteTxn) error {
		if dup, err := tx.DuplicateDispatch(e.Job); err != nil || dup {
			evals = nil // an idempotent retry: the first dispatch stands
			return err
		}
		if dup, err := tx.RegisterOnce(e.Job); err != nil || dup {
			evals = nil // a register retried with its token: the first stands
			return err
		}
		if err := tx.UpsertJob(e.Job.SubmitTime, e.Job); err != nil {
			return err
		}
		return upsertEvals(tx, evals)
	})
	if err != nil {
		return err
	}
	f.evalsUpserted(evals)
	return nil
}

func (f *FSM) applyJobDeregister(index uint64, body []byte) error {
	var e structs.JobDeregisterEntry
	if err := structs.Decode(body, &e); err != nil {
		return err
	}
	evals := optionalEval(e.Eval)
	err := f.State().Update(index, func(tx *state.WriteTxn) error {
		var err error
		if e.Purge {
			err = tx.PurgeJob(e.Namespace, e.JobID, e.Time)
		} else {
			err = tx.StopJob(e.Namespace, e.JobID, e.Time)
		}
		if err != nil {
			return err
		}
		return upsertEvals(tx, evals)
	})
	if err != nil {
		return err
	}
	f.evalsUpserted(evals)
	return nil
}

func (f *FSM) applyEvalUpdate(index uint64, body []byte) error {
	var e structs.EvalUpdateEntry
	if err := structs.Decode(body, &e); err != nil {
		return err
	}
	if err := f.State().UpsertEvals(index, e.Evals); err != nil {
		return err
	}
	f.evalsUpserted(e.Evals)
	return nil
}

func (f *FSM) applyAllocClientUpdate(index uint64, body []byte) error {
	var e structs.AllocClientUpdateEntry
	if err := structs.Decode(body, &e); err != nil {
		return err
	}
	for _, u := range e.Allocs {
		internUpdate(u)
	}
	freed, err := f.allocsFreed(e.Allocs)
	if err != nil {
		return err
	}
	err = f.State().Update(index, func(tx *state.WriteTxn) error {
		if err := tx.UpdateAllocsFromClient(e.Allocs); err != nil {
			return err
		}
		return upsertEvals(tx, e.Evals)
	})
	if err != nil {
		return err
	}
	f.evalsUpserted(e.Evals)
	if freed {
		f.capacityChanged(index)
	}
	return nil
}

// allocsFreed reports whether a client update ends an allocation that was
// still running, which frees room on its node.
func (f *FSM) allocsFreed(updates []*structs.AllocStatusUpdate) (bool, error) {
	for _, u := range updates {
		probe := structs.Allocation{ClientStatus: u.ClientStatus}
		if !probe.ClientTerminalStatus() {
			continue
		}
		old, err := f.State().AllocByID(nil, u.ID)
		if err != nil {
			return false, err
		}
		if old != nil && !old.ClientTerminalStatus() {
			return true, nil
		}
	}
	return false, nil
}

func (f *FSM) applyPlanResults(index uint64, body []byte) error {
	var e structs.ApplyPlanResultsEntry
	if err := structs.Decode(body, &e); err != nil {
		return err
	}
	for _, a := range e.AllocsPlaced {
		internAlloc(a)
	}
	if err := f.State().UpsertPlanResults(index, &e); err != nil {
		return err
	}
	if len(e.AllocsStopped) > 0 {
		f.capacityChanged(index)
	}
	return nil
}

func (f *FSM) applyEvalDelete(index uint64, body []byte) error {
	var e structs.EvalDeleteEntry
	if err := structs.Decode(body, &e); err != nil {
		return err
	}
	return f.State().DeleteEvals(index, e.Evals, e.Allocs)
}

func (f *FSM) applyNodeDeregister(index uint64, body []byte) error {
	var e structs.NodeDeregisterEntry
	if err := structs.Decode(body, &e); err != nil {
		return err
	}
	return f.State().DeleteNodes(index, e.NodeIDs)
}

func upsertEvals(tx *state.WriteTxn, evals []*structs.Evaluation) error {
	if len(evals) == 0 {
		return nil
	}
	return tx.UpsertEvals(evals)
}

func optionalEval(e *structs.Evaluation) []*structs.Evaluation {
	if e == nil {
		return nil
	}
	return []*structs.Evaluation{e}
}

// evalsUpserted hands the listener copies of the stored evaluations, which
// carry the indexes the store assigned.
func (f *FSM) evalsUpserted(evals []*structs.Evaluation) {
	l := f.currentListener()
	if l == nil || len(evals) == 0 {
		return
	}
	stored := make([]*structs.Evaluation, 0, len(evals))
	for _, e := range evals {
		s, err := f.State().EvalByID(nil, e.ID)
		if err != nil || s == nil {
			f.logger.Error("stored evaluation not found after apply", "eval_id", e.ID, "error", err)
			continue
		}
		stored = append(stored, s.Copy())
	}
	l.EvalsUpserted(stored)
}

func (f *FSM) capacityChanged(index uint64) {
	if l := f.currentListener(); l != nil {
		l.CapacityChanged(index)
	}
}
