package state

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// UpsertPlanResults commits a plan: stops of existing allocations and
// placements (new allocations or in-place updates of existing ones).
func (s *StateStore) UpsertPlanResults(index uint64, entry *structs.ApplyPlanResultsEntry) error {
	return s.Update(index, func(tx *WriteTxn) error { return tx.UpsertPlanResults(entry) })
}

// UpdateAllocsFromClient applies status updates reported by clients.
func (s *StateStore) UpdateAllocsFromClient(index uint64, updates []*structs.AllocStatusUpdate) error {
	return s.Update(index, func(tx *WriteTxn) error { return tx.UpdateAllocsFromClient(updates) })
}

// UpsertAllocs stores allocations as given (apart from indexes). It is
// meant for tests and restore paths; the scheduler goes through
// UpsertPlanResults.
func (s *StateStore) UpsertAllocs(index uint64, allocs []*structs.Allocation) error {
	return s.Update(index, func(tx *WriteTxn) error { return tx.UpsertAllocs(allocs) })
}

// UpsertPlanResults: see StateStore.UpsertPlanResults. Both stops and
// placements set AllocModifyIndex, which is what clients watch for
// server-side changes.
func (tx *WriteTxn) UpsertPlanResults(entry *structs.ApplyPlanResultsEntry) error {
	if entry == nil {
		return fmt.Errorf("apply plan results: entry is missing")
	}
	tx.touchTable(TableAllocs)
	for _, stop := range entry.AllocsStopped {
		if err := tx.stopAlloc(stop, entry.Time); err != nil {
			return fmt.Errorf("apply plan of eval %q: %w", entry.EvalID, err)
		}
	}
	for _, placed := range entry.AllocsPlaced {
		if err := tx.placeAlloc(placed, entry.Time); err != nil {
			return fmt.Errorf("apply plan of eval %q: %w", entry.EvalID, err)
		}
	}
	return nil
}

func (tx *WriteTxn) stopAlloc(stop *structs.Allocation, now int64) error {
	old, err := tx.alloc(stop.ID)
	if err != nil {
		return err
	}
	if old == nil {
		// Garbage collected since the plan was made: nothing left to stop.
		tx.store.logger.Warn("plan stops an unknown allocation, skipped", "alloc_id", stop.ID)
		return nil
	}
	c := old.Copy()
	c.DesiredStatus = stop.DesiredStatus
	if c.DesiredStatus == "" {
		c.DesiredStatus = structs.AllocDesiredStop
	}
	c.DesiredDescription = stop.DesiredDescription
	if stop.PreemptedByAllocation != "" {
		c.PreemptedByAllocation = stop.PreemptedByAllocation
	}
	if stop.ClientStatus == structs.AllocClientLost {
		c.ClientStatus = structs.AllocClientLost
	}
	c.ModifyIndex, c.AllocModifyIndex, c.ModifyTime = tx.index, tx.index, now
	return tx.insertAlloc(old, c)
}

// placeAlloc inserts a new allocation or updates one in place. On update
// the client-owned fields are kept from the stored allocation: the client
// may have reported after the scheduler took its snapshot.
func (tx *WriteTxn) placeAlloc(placed *structs.Allocation, now int64) error {
	if placed.ID == "" {
		return fmt.Errorf("placed allocation %q has no ID", placed.Name)
	}
	c := placed.Copy()
	old, err := tx.alloc(c.ID)
	if err != nil {
		return err
	}
	if old != nil {
		c.CreateIndex, c.CreateTime = old.CreateIndex, old.CreateTime
		c.ClientStatus, c.ClientDescription, c.TaskStates = old.ClientStatus, old.ClientDescription, old.TaskStates
	} else {
		c.CreateIndex = tx.index
		if c.CreateTime == 0 {
			c.CreateTime = now
		}
	}
	if c.DesiredStatus == "" {
		c.DesiredStatus = structs.AllocDesiredRun
	}
	if c.ClientStatus == "" {
		c.ClientStatus = structs.AllocClientPending
	}
	c.ModifyIndex, c.AllocModifyIndex, c.ModifyTime = tx.index, tx.index, now
	return tx.insertAlloc(old, c)
}

// UpdateAllocsFromClient merges client reports. It sets ModifyIndex but
// not AllocModifyIndex: a client must not be woken by its own updates.
// Reports for unknown allocations (already garbage collected) are skipped.
func (tx *WriteTxn) UpdateAllocsFromClient(updates []*structs.AllocStatusUpdate) error {
	tx.touchTable(TableAllocs)
	for _, u := range updates {
		old, err := tx.alloc(u.ID)
		if err != nil {
			return err
		}
		if old == nil {
			tx.store.logger.Debug("client update for an unknown allocation, skipped", "alloc_id", u.ID)
			continue
		}
		// A shallow copy: stored allocations are never changed in place, so
		// the new version shares the old one's resources, ports and task
		// states, and only the task-state map is new. A deep copy per report
		// was most of what a million acknowledgements allocated.
		c := new(structs.Allocation)
		*c = *old
		if u.ClientStatus != "" {
			c.ClientStatus = u.ClientStatus
		}
		c.ClientDescription = u.ClientDescription
		c.Healthy = u.Healthy
		if u.Healthy != nil && *u.Healthy && (old.Healthy == nil || !*old.Healthy) {
			c.HealthyTime = u.ModifyTime
		}
		if len(u.TaskStates) > 0 {
			c.TaskStates = make(map[string]*structs.TaskState, len(old.TaskStates)+len(u.TaskStates))
			for name, ts := range old.TaskStates {
				c.TaskStates[name] = ts
			}
		}
		for name, ts := range u.TaskStates {
			c.TaskStates[name] = ts.Copy()
		}
		c.ModifyIndex, c.ModifyTime = tx.index, u.ModifyTime
		if err := tx.insertAlloc(old, c); err != nil {
			return err
		}
	}
	return nil
}

// UpsertAllocs: see StateStore.UpsertAllocs.
func (tx *WriteTxn) UpsertAllocs(allocs []*structs.Allocation) error {
	tx.touchTable(TableAllocs)
	for _, a := range allocs {
		if a.ID == "" {
			return fmt.Errorf("upsert allocation %q: ID is missing", a.Name)
		}
		c := a.Copy()
		old, err := tx.alloc(c.ID)
		if err != nil {
			return err
		}
		c.CreateIndex = tx.index
		if old != nil {
			c.CreateIndex = old.CreateIndex
		}
		c.ModifyIndex, c.AllocModifyIndex = tx.index, tx.index
		if err := tx.insertAlloc(old, c); err != nil {
			return err
		}
	}
	return nil
}

// insertAlloc stores an allocation the caller already copied, replacing
// old (nil for a new one), keeps its node's usage summary and marks its
// job for a status refresh.
func (tx *WriteTxn) insertAlloc(old, a *structs.Allocation) error {
	a.Namespace = namespaceOrDefault(a.Namespace)
	if err := tx.txn.Insert(TableAllocs, a); err != nil {
		return fmt.Errorf("store allocation %q: %w", a.ID, err)
	}
	tx.countUsage(old, a)
	tx.touchJob(a.Namespace, a.JobID, !a.TerminalStatus())
	// An allocation told to stop, or that ended, leaves the service
	// catalog at once (only on the change, to keep client reports cheap).
	if a.TerminalStatus() && (old == nil || !old.TerminalStatus()) {
		if err := tx.deleteServicesBy(indexAlloc, a.ID); err != nil {
			return err
		}
	}
	if a.AllocModifyIndex == tx.index {
		tx.touchNodeAllocs(a.NodeID) // a server-side change, not a client report
	}
	return nil
}

func (tx *WriteTxn) alloc(id string) (*structs.Allocation, error) {
	raw, err := tx.txn.First(TableAllocs, indexID, id)
	if err != nil {
		return nil, fmt.Errorf("read allocation %q: %w", id, err)
	}
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Allocation), nil
}

// deleteAllocs removes allocations (garbage collection); unknown IDs are
// ignored so that a repeated collection is harmless.
func (tx *WriteTxn) deleteAllocs(ids []string) error {
	for _, id := range ids {
		a, err := tx.alloc(id)
		if err != nil {
			return err
		}
		if a == nil {
			continue
		}
		if err := tx.txn.Delete(TableAllocs, a); err != nil {
			return fmt.Errorf("delete allocation %q: %w", id, err)
		}
		tx.touchTable(TableAllocs)
		tx.countUsage(a, nil)
		tx.removedFromNode(a.NodeID)
		tx.touchJob(a.Namespace, a.JobID, false)
		if err := tx.deleteServicesBy(indexAlloc, id); err != nil {
			return err
		}
	}
	return nil
}

// AllocByID returns an allocation, or nil.
func (s *StateStore) AllocByID(ws memdb.WatchSet, id string) (*structs.Allocation, error) {
	ch, raw, err := s.db.Txn(false).FirstWatch(TableAllocs, indexID, id)
	if err != nil {
		return nil, fmt.Errorf("read allocation %q: %w", id, err)
	}
	ws.Add(ch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Allocation), nil
}

// AllocsByJob returns all allocations of a job, terminal ones included.
func (s *StateStore) AllocsByJob(ws memdb.WatchSet, namespace, jobID string) ([]*structs.Allocation, error) {
	return s.listAllocs(ws, indexJob, namespaceOrDefault(namespace), jobID)
}

// AllocsByNode returns all allocations on a node, terminal ones included.
func (s *StateStore) AllocsByNode(ws memdb.WatchSet, nodeID string) ([]*structs.Allocation, error) {
	return s.listAllocs(ws, indexNode+"_prefix", nodeID)
}

// Allocs returns every allocation, sorted by ID.
func (s *StateStore) Allocs(ws memdb.WatchSet) ([]*structs.Allocation, error) {
	return s.listAllocs(ws, indexID)
}

func (s *StateStore) listAllocs(ws memdb.WatchSet, index string, args ...any) ([]*structs.Allocation, error) {
	it, err := s.db.Txn(false).Get(TableAllocs, index, args...)
	if err != nil {
		return nil, fmt.Errorf("list allocations by %s %q: %w", index, args, err)
	}
	ws.Add(it.WatchCh())
	var out []*structs.Allocation
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*structs.Allocation))
	}
	return out, nil
}
