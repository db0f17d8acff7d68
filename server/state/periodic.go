package state

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// UpsertPeriodicLaunch records the last launch of a periodic job.
func (tx *WriteTxn) UpsertPeriodicLaunch(l *structs.PeriodicLaunch) error {
	if l == nil {
		return fmt.Errorf("record periodic launch: launch is missing")
	}
	c := *l
	c.Namespace = namespaceOrDefault(c.Namespace)
	raw, err := tx.txn.First(TablePeriodicLaunch, indexID, c.Namespace, c.ID)
	if err != nil {
		return fmt.Errorf("read periodic launch of job %q: %w", c.ID, err)
	}
	c.CreateIndex = tx.index
	if raw != nil {
		c.CreateIndex = raw.(*structs.PeriodicLaunch).CreateIndex
	}
	c.ModifyIndex = tx.index
	if err := tx.txn.Insert(TablePeriodicLaunch, &c); err != nil {
		return fmt.Errorf("record periodic launch of job %q: %w", c.ID, err)
	}
	tx.touchTable(TablePeriodicLaunch)
	return nil
}

// PeriodicLaunchByID returns the last recorded launch of a job, or nil.
func (s *StateStore) PeriodicLaunchByID(ws memdb.WatchSet, namespace, id string) (*structs.PeriodicLaunch, error) {
	watch, raw, err := s.db.Txn(false).FirstWatch(TablePeriodicLaunch, indexID, namespaceOrDefault(namespace), id)
	if err != nil {
		return nil, fmt.Errorf("read periodic launch of job %q: %w", id, err)
	}
	ws.Add(watch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.PeriodicLaunch), nil
}

// ChildJobs returns the jobs whose ParentID is the given job, in ID order
// (which, for equal-length unix stamps, is launch order).
func (s *StateStore) ChildJobs(ws memdb.WatchSet, namespace, parent string) ([]*structs.Job, error) {
	namespace = namespaceOrDefault(namespace)
	it, err := s.db.Txn(false).Get(TableJobs, indexID+"_prefix", namespace, parent+"/")
	if err != nil {
		return nil, fmt.Errorf("list children of job %q: %w", parent, err)
	}
	ws.Add(it.WatchCh())
	var out []*structs.Job
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if j := raw.(*structs.Job); j.ParentID == parent {
			out = append(out, j)
		}
	}
	return out, nil
}

// ApplyPeriodicLaunch writes a launch record with, atomically, the child
// job and its evaluation (both optional).
func (tx *WriteTxn) ApplyPeriodicLaunch(e *structs.PeriodicLaunchEntry) error {
	// A launch the leader decided on just before the parent was stopped or
	// purged arrives after that write: it starts nothing (a child made now
	// would outlive its parent, found by nothing).
	parent, err := tx.job(namespaceOrDefault(e.Launch.Namespace), e.Launch.ID)
	if err != nil {
		return err
	}
	if parent == nil {
		return nil
	}
	if parent.Stop {
		e = &structs.PeriodicLaunchEntry{Launch: e.Launch}
	}
	if e.Job != nil {
		if err := tx.UpsertJob(e.Job.SubmitTime, e.Job); err != nil {
			return err
		}
	}
	if e.Eval != nil {
		if err := tx.UpsertEvals([]*structs.Evaluation{e.Eval}); err != nil {
			return err
		}
	}
	return tx.UpsertPeriodicLaunch(e.Launch)
}
