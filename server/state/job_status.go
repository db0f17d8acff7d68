package state

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
)

// refreshJobStatus stores the job's derived status if it changed. A change
// bumps ModifyIndex (so that blocking queries on the job wake) but not
// JobModifyIndex (the spec did not change).
func (tx *WriteTxn) refreshJobStatus(k jobKey, live bool) error {
	raw, err := tx.txn.First(TableJobs, indexID, k.namespace, k.id)
	if err != nil {
		return fmt.Errorf("read job %q: %w", k.id, err)
	}
	if raw == nil {
		return nil // purged, or allocations of a job that is gone
	}
	job := raw.(*structs.Job)
	status := structs.JobStatusRunning
	if !live {
		if status, err = tx.jobStatus(job); err != nil {
			return err
		}
	}
	if status == job.Status {
		return nil
	}
	// A shallow copy is enough: only scalar fields change and the rest of
	// the stored job is immutable.
	c := *job
	c.Status = status
	c.ModifyIndex = tx.index
	if err := tx.txn.Insert(TableJobs, &c); err != nil {
		return fmt.Errorf("update status of job %q: %w", k.id, err)
	}
	tx.touchTable(TableJobs)
	return nil
}

// jobStatus derives a job's status from its allocations and evaluations:
//   - running: some allocation is not terminal (desired run and client
//     pending or running);
//   - dead: nothing is running and the job is stopped, or it is batch-like,
//     was scheduled at least once (it has an allocation or an evaluation) and
//     has no pending or blocked evaluation left;
//   - pending: otherwise (waiting for placement, or a service whose
//     allocations all ended and that waits to be rescheduled).
func (tx *WriteTxn) jobStatus(job *structs.Job) (string, error) {
	// A periodic or parameterized parent runs through its children: it is
	// running until stopped.
	if job.IsParent() {
		if job.Stop {
			return structs.JobStatusDead, nil
		}
		return structs.JobStatusRunning, nil
	}
	it, err := tx.txn.Get(TableAllocs, indexJob, job.Namespace, job.ID)
	if err != nil {
		return "", fmt.Errorf("list allocations of job %q: %w", job.ID, err)
	}
	hasAlloc := false
	for raw := it.Next(); raw != nil; raw = it.Next() {
		hasAlloc = true
		if !raw.(*structs.Allocation).TerminalStatus() {
			return structs.JobStatusRunning, nil
		}
	}
	if job.Stop {
		return structs.JobStatusDead, nil
	}
	if !job.IsBatchLike() {
		return structs.JobStatusPending, nil
	}
	it, err = tx.txn.Get(TableEvals, indexJob, job.Namespace, job.ID)
	if err != nil {
		return "", fmt.Errorf("list evaluations of job %q: %w", job.ID, err)
	}
	hasEval := false
	for raw := it.Next(); raw != nil; raw = it.Next() {
		hasEval = true
		if !raw.(*structs.Evaluation).TerminalStatus() {
			return structs.JobStatusPending, nil
		}
	}
	if hasAlloc || hasEval {
		return structs.JobStatusDead, nil
	}
	return structs.JobStatusPending, nil
}
