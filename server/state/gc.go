package state

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// ApplyCoreGC deletes what a garbage collection entry names. Every object
// is checked again here, against the state the entry applies to: the
// leader decided on an older snapshot, and whatever became referenced
// since (a job registered again, a node that came back, an evaluation
// that was retried) is skipped, never deleted. The counts say what was
// deleted.
func (s *StateStore) ApplyCoreGC(index uint64, e *structs.CoreGCEntry) (n structs.GCCounts, err error) {
	err = s.Update(index, func(tx *WriteTxn) error {
		n, err = tx.ApplyCoreGC(e)
		return err
	})
	return n, err
}

// ApplyCoreGC: see StateStore.ApplyCoreGC.
func (tx *WriteTxn) ApplyCoreGC(e *structs.CoreGCEntry) (n structs.GCCounts, err error) {
	revived, err := tx.revivedJobs(e.Jobs)
	if err != nil {
		return n, err
	}
	for _, id := range e.Allocs {
		ok, err := tx.gcAlloc(id, revived)
		if err != nil {
			return n, err
		}
		if ok {
			n.Allocs++
		}
	}
	for _, id := range e.Evals {
		ok, err := tx.gcEval(id, revived)
		if err != nil {
			return n, err
		}
		if ok {
			n.Evals++
		}
	}
	for _, j := range e.Jobs {
		ok, err := tx.gcJob(namespaceOrDefault(j.Namespace), j.ID)
		if err != nil {
			return n, err
		}
		if ok {
			n.Jobs++
		}
	}
	for _, id := range e.Nodes {
		ok, err := tx.gcNode(id)
		if err != nil {
			return n, err
		}
		if ok {
			n.Nodes++
		}
	}
	for _, id := range e.ACLTokens {
		ok, err := tx.gcToken(id, time.Unix(0, e.Time))
		if err != nil {
			return n, err
		}
		if ok {
			n.ACLTokens++
		}
	}
	return n, tx.forgetRemovedNodes()
}

// revivedJobs are the jobs an entry collects whole that are no longer
// finished: registered again (a pending evaluation) or running again since
// the leader decided. Their allocations and evaluations in the entry are
// kept: a completed batch allocation of a job registered again unchanged
// is what says its work is done.
func (tx *WriteTxn) revivedJobs(refs []structs.GCJobRef) (map[jobKey]bool, error) {
	out := map[jobKey]bool{}
	for _, r := range refs {
		ns := namespaceOrDefault(r.Namespace)
		job, err := tx.job(ns, r.ID)
		if err != nil {
			return nil, err
		}
		if job == nil {
			continue
		}
		finished, err := tx.jobFinished(job)
		if err != nil {
			return nil, err
		}
		if !finished {
			out[jobKey{ns, r.ID}] = true
		}
	}
	return out, nil
}

// jobFinished: stopped or dead, every evaluation finished, every
// allocation ready to collect.
func (tx *WriteTxn) jobFinished(job *structs.Job) (bool, error) {
	if !job.Stop && job.Status != structs.JobStatusDead {
		return false, nil
	}
	it, err := tx.txn.Get(TableEvals, indexJob, job.Namespace, job.ID)
	if err != nil {
		return false, fmt.Errorf("list evaluations of job %q: %w", job.ID, err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if !raw.(*structs.Evaluation).TerminalStatus() {
			return false, nil
		}
	}
	allocs, err := tx.jobAllocs(job.Namespace, job.ID)
	if err != nil {
		return false, err
	}
	for _, a := range allocs {
		gone, err := tx.nodeGone(a.NodeID)
		if err != nil {
			return false, err
		}
		if !AllocGCReady(a, gone) {
			return false, nil
		}
	}
	return true, nil
}

func (tx *WriteTxn) gcAlloc(id string, revived map[jobKey]bool) (bool, error) {
	a, err := tx.alloc(id)
	if err != nil || a == nil || revived[jobKey{a.Namespace, a.JobID}] {
		return false, err
	}
	gone, err := tx.nodeGone(a.NodeID)
	if err != nil {
		return false, err
	}
	if !AllocGCReady(a, gone) {
		return false, nil
	}
	return true, tx.deleteAllocs([]string{id})
}

// nodeGone reports whether no client will report on the node's
// allocations any more: the node is down or no longer exists.
func (tx *WriteTxn) nodeGone(nodeID string) (bool, error) {
	if nodeID == "" {
		return true, nil
	}
	n, err := tx.node(nodeID)
	if err != nil {
		return false, err
	}
	return n == nil || n.Status == structs.NodeStatusDown, nil
}

func (tx *WriteTxn) gcEval(id string, revived map[jobKey]bool) (bool, error) {
	raw, err := tx.txn.First(TableEvals, indexID, id)
	if err != nil {
		return false, fmt.Errorf("read evaluation %q: %w", id, err)
	}
	if raw == nil {
		return false, nil
	}
	if e := raw.(*structs.Evaluation); !e.TerminalStatus() || revived[jobKey{e.Namespace, e.JobID}] {
		return false, nil
	}
	return true, tx.DeleteEvals([]string{id}, nil)
}

// gcJob deletes a stopped or dead job only when nothing of it is left:
// no allocation and no evaluation.
func (tx *WriteTxn) gcJob(namespace, id string) (bool, error) {
	job, err := tx.job(namespace, id)
	if err != nil || job == nil {
		return false, err
	}
	if !job.Stop && job.Status != structs.JobStatusDead {
		return false, nil // running again since the leader decided
	}
	if raw, err := tx.txn.First(TableAllocs, indexJob, namespace, id); err != nil || raw != nil {
		return false, err
	}
	if raw, err := tx.txn.First(TableEvals, indexJob, namespace, id); err != nil || raw != nil {
		return false, err
	}
	if err := tx.DeleteJob(namespace, id); err != nil {
		return false, err
	}
	if _, err := tx.txn.DeleteAll(TablePeriodicLaunch, indexID, namespace, id); err != nil {
		return false, fmt.Errorf("collect periodic launch of job %q: %w", id, err)
	}
	tx.touchTable(TablePeriodicLaunch)
	return true, nil
}

// gcNode deletes a node that is down and runs nothing, with its
// allocation change row.
func (tx *WriteTxn) gcNode(id string) (bool, error) {
	n, err := tx.node(id)
	if err != nil || n == nil || n.Status != structs.NodeStatusDown {
		return false, err
	}
	live, err := tx.nodeHasLiveAllocs(id)
	if err != nil || live {
		return false, err
	}
	return true, tx.removeNode(id)
}

func (tx *WriteTxn) nodeHasLiveAllocs(id string) (bool, error) {
	it, err := tx.txn.Get(TableAllocs, indexNode+"_prefix", id)
	if err != nil {
		return false, fmt.Errorf("list allocations of node %q: %w", id, err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		a := raw.(*structs.Allocation)
		if a.NodeID == id && !a.TerminalStatus() {
			return true, nil
		}
	}
	return false, nil
}

// removeNode deletes a node and the rows kept per node. Its allocations
// stay: they are collected with their evaluations and jobs.
func (tx *WriteTxn) removeNode(id string) error {
	if err := tx.DeleteNodes([]string{id}); err != nil {
		return err
	}
	if _, err := tx.txn.DeleteAll(TableNodeAllocs, indexID, id); err != nil {
		return fmt.Errorf("remove allocation index of node %q: %w", id, err)
	}
	return nil
}

func (tx *WriteTxn) gcToken(accessorID string, now time.Time) (bool, error) {
	t, err := tx.aclToken(accessorID)
	if err != nil || t == nil || !t.IsExpired(now) {
		return false, err
	}
	return true, tx.DeleteACLTokens([]string{accessorID})
}

// PurgeNode removes a node whatever its status, with its per-node rows;
// its allocations stay for the scheduler to mark lost and replace.
func (tx *WriteTxn) PurgeNode(id string) error {
	n, err := tx.node(id)
	if err != nil {
		return err
	}
	if n == nil {
		return fmt.Errorf("purge node %q: %w", id, structs.ErrNotFound)
	}
	return tx.removeNode(id)
}

// forgetRemovedNodes drops the allocation change rows of nodes that no
// longer exist (purged or collected) once their last allocation is gone:
// the allocations a removed node leaves behind are deleted later, and
// each deletion would otherwise write the row again.
func (tx *WriteTxn) forgetRemovedNodes() error {
	for id := range tx.nodeAllocs {
		n, err := tx.node(id)
		if err != nil {
			return err
		}
		if n != nil {
			continue
		}
		left, err := tx.txn.First(TableAllocs, indexNode+"_prefix", id)
		if err != nil {
			return fmt.Errorf("list allocations of node %q: %w", id, err)
		}
		if left != nil && left.(*structs.Allocation).NodeID == id {
			continue
		}
		delete(tx.nodeAllocs, id)
		if _, err := tx.txn.DeleteAll(TableNodeAllocs, indexID, id); err != nil {
			return fmt.Errorf("remove allocation index of node %q: %w", id, err)
		}
	}
	return nil
}
