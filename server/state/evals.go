package state

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// UpsertEvals stores evaluations.
func (s *StateStore) UpsertEvals(index uint64, evals []*structs.Evaluation) error {
	return s.Update(index, func(tx *WriteTxn) error { return tx.UpsertEvals(evals) })
}

// DeleteEvals removes evaluations and allocations (garbage collection).
// Unknown IDs are ignored, so repeating a collection is harmless.
func (s *StateStore) DeleteEvals(index uint64, evalIDs, allocIDs []string) error {
	return s.Update(index, func(tx *WriteTxn) error { return tx.DeleteEvals(evalIDs, allocIDs) })
}

// UpsertEvals stores copies of the evaluations: CreateIndex is set on insert
// and kept on update, ModifyIndex is the transaction's index.
func (tx *WriteTxn) UpsertEvals(evals []*structs.Evaluation) error {
	tx.touchTable(TableEvals)
	for _, e := range evals {
		if err := tx.upsertEval(e); err != nil {
			return err
		}
	}
	return nil
}

func (tx *WriteTxn) upsertEval(e *structs.Evaluation) error {
	if e == nil || e.ID == "" {
		return fmt.Errorf("upsert evaluation: ID is missing")
	}
	c := e.Copy()
	c.Namespace = namespaceOrDefault(c.Namespace)
	raw, err := tx.txn.First(TableEvals, indexID, c.ID)
	if err != nil {
		return fmt.Errorf("read evaluation %q: %w", c.ID, err)
	}
	c.CreateIndex = tx.index
	if raw != nil {
		c.CreateIndex = raw.(*structs.Evaluation).CreateIndex
	}
	c.ModifyIndex = tx.index
	if err := tx.txn.Insert(TableEvals, c); err != nil {
		return fmt.Errorf("upsert evaluation %q: %w", c.ID, err)
	}
	tx.touchJob(c.Namespace, c.JobID, false)
	return nil
}

// DeleteEvals: see StateStore.DeleteEvals.
func (tx *WriteTxn) DeleteEvals(evalIDs, allocIDs []string) error {
	for _, id := range evalIDs {
		raw, err := tx.txn.First(TableEvals, indexID, id)
		if err != nil {
			return fmt.Errorf("read evaluation %q: %w", id, err)
		}
		if raw == nil {
			continue
		}
		e := raw.(*structs.Evaluation)
		if err := tx.txn.Delete(TableEvals, e); err != nil {
			return fmt.Errorf("delete evaluation %q: %w", id, err)
		}
		tx.touchTable(TableEvals)
		tx.touchJob(e.Namespace, e.JobID, false)
	}
	return tx.deleteAllocs(allocIDs)
}

// EvalByID returns an evaluation, or nil.
func (s *StateStore) EvalByID(ws memdb.WatchSet, id string) (*structs.Evaluation, error) {
	ch, raw, err := s.db.Txn(false).FirstWatch(TableEvals, indexID, id)
	if err != nil {
		return nil, fmt.Errorf("read evaluation %q: %w", id, err)
	}
	ws.Add(ch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Evaluation), nil
}

// EvalsByJob returns a job's evaluations, sorted by ID.
func (s *StateStore) EvalsByJob(ws memdb.WatchSet, namespace, jobID string) ([]*structs.Evaluation, error) {
	return s.listEvals(ws, indexJob, namespaceOrDefault(namespace), jobID)
}

// Evals returns every evaluation, sorted by ID.
func (s *StateStore) Evals(ws memdb.WatchSet) ([]*structs.Evaluation, error) {
	return s.listEvals(ws, indexID)
}

func (s *StateStore) listEvals(ws memdb.WatchSet, index string, args ...any) ([]*structs.Evaluation, error) {
	it, err := s.db.Txn(false).Get(TableEvals, index, args...)
	if err != nil {
		return nil, fmt.Errorf("list evaluations by %s %q: %w", index, args, err)
	}
	ws.Add(it.WatchCh())
	var out []*structs.Evaluation
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*structs.Evaluation))
	}
	return out, nil
}
