package state

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
)

// descJobPurged is the desired description of an allocation stopped because
// its job was purged.
const descJobPurged = "job purged"

// PurgeJob removes a job for good: the job, its versions and its periodic
// launch record, its finished evaluations and the allocations that ended.
// Allocations still running are stopped (desired status stop, which wakes
// their clients) and stay until their clients report them done and
// garbage collection removes them. A job registered again under the same
// ID is a new job: nothing of the purged one counts as its work, and its
// versions continue above those of the stopped allocations (see
// firstVersion). time is the leader's purge time (unix nanoseconds).
func (tx *WriteTxn) PurgeJob(namespace, id string, time int64) error {
	namespace = namespaceOrDefault(namespace)
	if err := tx.DeleteJob(namespace, id); err != nil {
		return err
	}
	if _, err := tx.txn.DeleteAll(TablePeriodicLaunch, indexID, namespace, id); err != nil {
		return fmt.Errorf("purge periodic launch of job %q: %w", id, err)
	}
	tx.touchTable(TablePeriodicLaunch)
	if err := tx.purgeJobEvals(namespace, id); err != nil {
		return err
	}
	allocs, err := tx.jobAllocs(namespace, id)
	if err != nil {
		return err
	}
	var gone []string
	for _, a := range allocs {
		switch {
		case AllocGCReady(a, false):
			gone = append(gone, a.ID)
		case a.DesiredStatus != structs.AllocDesiredStop:
			c := a.Copy()
			c.DesiredStatus, c.DesiredDescription = structs.AllocDesiredStop, descJobPurged
			c.ModifyIndex, c.AllocModifyIndex, c.ModifyTime = tx.index, tx.index, time
			tx.touchTable(TableAllocs)
			if err := tx.insertAlloc(a, c); err != nil {
				return fmt.Errorf("purge job %q: %w", id, err)
			}
		}
	}
	return tx.deleteAllocs(gone)
}

// purgeJobEvals deletes the finished evaluations of a job.
func (tx *WriteTxn) purgeJobEvals(namespace, id string) error {
	it, err := tx.txn.Get(TableEvals, indexJob, namespace, id)
	if err != nil {
		return fmt.Errorf("list evaluations of job %q: %w", id, err)
	}
	var done []string
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if e := raw.(*structs.Evaluation); e.TerminalStatus() {
			done = append(done, e.ID)
		}
	}
	return tx.DeleteEvals(done, nil)
}

func (tx *WriteTxn) jobAllocs(namespace, id string) ([]*structs.Allocation, error) {
	it, err := tx.txn.Get(TableAllocs, indexJob, namespace, id)
	if err != nil {
		return nil, fmt.Errorf("list allocations of job %q: %w", id, err)
	}
	var out []*structs.Allocation
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*structs.Allocation))
	}
	return out, nil
}

// firstVersion is the version of a job registered under an ID that has no
// job: 0, unless allocations of an earlier job with that ID remain (a
// purged job whose allocations are still being stopped). Then it is one
// above the highest version they reference: clients cache job specs by
// ID and version, so a reused number would run the old spec.
func (tx *WriteTxn) firstVersion(namespace, id string) (uint64, error) {
	allocs, err := tx.jobAllocs(namespace, id)
	if err != nil {
		return 0, err
	}
	var next uint64
	for _, a := range allocs {
		next = max(next, a.JobVersion+1)
	}
	return next, nil
}

// AllocGCReady reports whether an allocation holds nothing any more, so
// that deleting it cannot lose work: its client reported it ended, or it
// was stopped before its client started it, or it was stopped and its
// node is down or gone (nodeGone), so no client will report on it.
func AllocGCReady(a *structs.Allocation, nodeGone bool) bool {
	switch {
	case a.ClientTerminalStatus():
		return true
	case a.DesiredStatus != structs.AllocDesiredStop:
		return false
	case a.ClientStatus == structs.AllocClientPending:
		return true
	default:
		return nodeGone
	}
}
