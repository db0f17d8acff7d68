package state

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
)

// ApplyJobRollout records a rollout outcome on one version of a job: on
// the stored version and, when it is the current one, on the job itself.
// Stored jobs are immutable and shared between both tables, so each is
// replaced by a marked copy. An unknown or dropped version is ignored: the
// leader decided on a state that moved on.
func (tx *WriteTxn) ApplyJobRollout(e *structs.JobRolloutEntry) error {
	ns := namespaceOrDefault(e.Namespace)
	raw, err := tx.txn.First(TableJobVersions, indexID, ns, e.JobID, e.Version)
	if err != nil {
		return fmt.Errorf("read version %d of job %q: %w", e.Version, e.JobID, err)
	}
	if raw == nil {
		return nil
	}
	marked := markRollout(raw.(*structs.Job), e)
	if err := tx.txn.Insert(TableJobVersions, marked); err != nil {
		return fmt.Errorf("mark version %d of job %q: %w", e.Version, e.JobID, err)
	}
	tx.touchTable(TableJobVersions)
	cur, err := tx.job(ns, e.JobID)
	if err != nil || cur == nil || cur.Version != e.Version {
		return err
	}
	c := markRollout(cur, e)
	c.ModifyIndex = tx.index
	if err := tx.txn.Insert(TableJobs, c); err != nil {
		return fmt.Errorf("mark job %q: %w", e.JobID, err)
	}
	tx.touchTable(TableJobs)
	tx.touchJob(ns, e.JobID, false)
	return nil
}

func markRollout(j *structs.Job, e *structs.JobRolloutEntry) *structs.Job {
	c := j.Copy()
	if e.Stable {
		c.Stable = true
	}
	if e.Failure != "" {
		c.UpdateFailure = e.Failure
	}
	if e.Promoted {
		c.Promoted, c.ProgressTime = true, e.ProgressTime
	}
	return c
}
