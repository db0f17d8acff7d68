package state

import (
	"fmt"
	"sort"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// UpsertJob stores a job submitted at submitTime (unix nanoseconds).
func (s *StateStore) UpsertJob(index uint64, submitTime int64, job *structs.Job) error {
	return s.Update(index, func(tx *WriteTxn) error { return tx.UpsertJob(submitTime, job) })
}

// StopJob marks a job stopped, as a new version.
func (s *StateStore) StopJob(index uint64, namespace, id string, time int64) error {
	return s.Update(index, func(tx *WriteTxn) error { return tx.StopJob(namespace, id, time) })
}

// DeleteJob purges a job and its versions. Its allocations and evaluations
// stay until garbage collection deletes them.
func (s *StateStore) DeleteJob(index uint64, namespace, id string) error {
	return s.Update(index, func(tx *WriteTxn) error { return tx.DeleteJob(namespace, id) })
}

// UpsertJob stores a copy of job. A new job gets version 0 (see
// firstVersion); an existing one gets the next version only when its
// specification changed, and only then are JobModifyIndex and SubmitTime
// updated and a version recorded, so that re-submitting the same file is a
// no-op for the scheduler.
func (tx *WriteTxn) UpsertJob(submitTime int64, job *structs.Job) error {
	if job == nil {
		return fmt.Errorf("upsert job: job is missing")
	}
	c := job.Copy()
	c.Namespace = namespaceOrDefault(c.Namespace)
	old, err := tx.job(c.Namespace, c.ID)
	if err != nil {
		return err
	}
	newVersion := true
	switch {
	case old == nil:
		c.CreateIndex = tx.index
		if c.Version, err = tx.firstVersion(c.Namespace, c.ID); err != nil {
			return err
		}
	case specEqual(old, c):
		newVersion = false
		c.CreateIndex, c.Version = old.CreateIndex, old.Version
		c.JobModifyIndex, c.SubmitTime = old.JobModifyIndex, old.SubmitTime
		// The rollout outcome belongs to the version, which did not change.
		c.Stable, c.UpdateFailure = old.Stable, old.UpdateFailure
	default:
		c.CreateIndex, c.Version = old.CreateIndex, old.Version+1
	}
	if newVersion {
		c.JobModifyIndex, c.SubmitTime = tx.index, submitTime
		c.Stable, c.UpdateFailure = false, "" // a new version has not rolled out yet
	}
	tx.noteRegister(c)
	if old != nil {
		c.StatusDescription = old.StatusDescription
	}
	c.ModifyIndex = tx.index
	if c.Status, err = tx.jobStatus(c); err != nil {
		return err
	}
	if err := tx.txn.Insert(TableJobs, c); err != nil {
		return fmt.Errorf("upsert job %q: %w", c.ID, err)
	}
	tx.touchTable(TableJobs)
	tx.touchJob(c.Namespace, c.ID, false)
	if !newVersion {
		return nil
	}
	return tx.addJobVersion(c)
}

// addJobVersion records a version and drops the oldest beyond
// JobVersionsToKeep. The stored job is shared with the jobs table: both are
// immutable.
func (tx *WriteTxn) addJobVersion(job *structs.Job) error {
	if err := tx.txn.Insert(TableJobVersions, job); err != nil {
		return fmt.Errorf("store version %d of job %q: %w", job.Version, job.ID, err)
	}
	tx.touchTable(TableJobVersions)
	versions, err := jobVersions(tx.txn, nil, job.Namespace, job.ID)
	if err != nil {
		return err
	}
	for _, v := range versions[min(len(versions), JobVersionsToKeep):] {
		if err := tx.txn.Delete(TableJobVersions, v); err != nil {
			return fmt.Errorf("drop version %d of job %q: %w", v.Version, v.ID, err)
		}
	}
	return nil
}

// StopJob stores the job with Stop set, which is a new version unless the
// job was already stopped.
func (tx *WriteTxn) StopJob(namespace, id string, time int64) error {
	namespace = namespaceOrDefault(namespace)
	old, err := tx.job(namespace, id)
	if err != nil {
		return err
	}
	if old == nil {
		return fmt.Errorf("stop job %q in namespace %q: %w", id, namespace, structs.ErrNotFound)
	}
	c := old.Copy()
	c.Stop = true
	return tx.UpsertJob(time, c)
}

// DeleteJob removes a job and all of its versions.
func (tx *WriteTxn) DeleteJob(namespace, id string) error {
	namespace = namespaceOrDefault(namespace)
	old, err := tx.job(namespace, id)
	if err != nil {
		return err
	}
	if old == nil {
		return fmt.Errorf("purge job %q in namespace %q: %w", id, namespace, structs.ErrNotFound)
	}
	if err := tx.txn.Delete(TableJobs, old); err != nil {
		return fmt.Errorf("purge job %q: %w", id, err)
	}
	if _, err := tx.txn.DeleteAll(TableJobVersions, indexJob, namespace, id); err != nil {
		return fmt.Errorf("purge versions of job %q: %w", id, err)
	}
	tx.touchTable(TableJobs, TableJobVersions)
	tx.touchJob(namespace, id, false) // followers of job changes see the purge
	return nil
}

func (tx *WriteTxn) job(namespace, id string) (*structs.Job, error) {
	raw, err := tx.txn.First(TableJobs, indexID, namespace, id)
	if err != nil {
		return nil, fmt.Errorf("read job %q: %w", id, err)
	}
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Job), nil
}

// JobByID returns the current version of a job, or nil.
func (s *StateStore) JobByID(ws memdb.WatchSet, namespace, id string) (*structs.Job, error) {
	ch, raw, err := s.db.Txn(false).FirstWatch(TableJobs, indexID, namespaceOrDefault(namespace), id)
	if err != nil {
		return nil, fmt.Errorf("read job %q: %w", id, err)
	}
	ws.Add(ch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Job), nil
}

// JobByIDAndVersion returns one stored version of a job, or nil when that
// version is unknown or was dropped.
func (s *StateStore) JobByIDAndVersion(ws memdb.WatchSet, namespace, id string, version uint64) (*structs.Job, error) {
	ch, raw, err := s.db.Txn(false).FirstWatch(TableJobVersions, indexID, namespaceOrDefault(namespace), id, version)
	if err != nil {
		return nil, fmt.Errorf("read version %d of job %q: %w", version, id, err)
	}
	ws.Add(ch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Job), nil
}

// JobVersionsByID returns the stored versions of a job, newest first.
func (s *StateStore) JobVersionsByID(ws memdb.WatchSet, namespace, id string) ([]*structs.Job, error) {
	return jobVersions(s.db.Txn(false), ws, namespaceOrDefault(namespace), id)
}

func jobVersions(txn *memdb.Txn, ws memdb.WatchSet, namespace, id string) ([]*structs.Job, error) {
	it, err := txn.Get(TableJobVersions, indexJob, namespace, id)
	if err != nil {
		return nil, fmt.Errorf("list versions of job %q: %w", id, err)
	}
	ws.Add(it.WatchCh())
	var out []*structs.Job
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*structs.Job))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version > out[j].Version })
	return out, nil
}

// Jobs returns every job, sorted by namespace then ID.
func (s *StateStore) Jobs(ws memdb.WatchSet) ([]*structs.Job, error) {
	it, err := s.db.Txn(false).Get(TableJobs, indexID)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	ws.Add(it.WatchCh())
	var out []*structs.Job
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*structs.Job))
	}
	return out, nil
}
