package state

import (
	"fmt"
	"sort"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// WriteTxn is one atomic write at one Raft index. Several operations (a job
// and its evaluation, a plan's stops and placements) go into the same
// transaction, so readers never see half of a Raft entry.
//
// When the transaction is committed, the statuses of the jobs it touched
// are recomputed once and the index table is updated for every table it
// touched.
type WriteTxn struct {
	store *StateStore
	txn   *memdb.Txn
	index uint64

	tables map[string]struct{}
	// jobs touched by this transaction; the value is true when a
	// non-terminal allocation of the job was written, which settles its
	// status without scanning its allocations.
	jobs map[jobKey]bool
	// nodeAllocs: nodes whose allocations changed server-side.
	nodeAllocs map[string]*nodeChange
	// usage: per node, the change to its usage summary.
	usage map[string]*structs.NodeUsage
}

type jobKey struct{ namespace, id string }

// Update runs fn in one write transaction at the given Raft index and
// commits it if fn returns nil; on error nothing is written.
func (s *StateStore) Update(index uint64, fn func(tx *WriteTxn) error) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	hook := s.changeHook()
	if hook != nil {
		txn.TrackChanges()
	}
	tx := &WriteTxn{
		store:  s,
		txn:    txn,
		index:  index,
		tables: map[string]struct{}{},
		jobs:   map[jobKey]bool{},
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.finish(); err != nil {
		return fmt.Errorf("commit state at index %d: %w", index, err)
	}
	var changes memdb.Changes
	if hook != nil {
		changes = txn.Changes()
	}
	txn.Commit()
	s.jobChanges.record(index, tx.jobs)
	if hook != nil {
		hook(index, changes)
	}
	return nil
}

// Check runs a write against the current state and throws it away. The
// leader calls it before a Raft entry whose apply could be refused (a
// second bootstrap, deleting a namespace that holds jobs), so that a
// refusal writes nothing to the log and reads as the state's own message.
// An FSM apply still checks again: the state may change in between.
func (s *StateStore) Check(fn func(tx *WriteTxn) error) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	latest, err := s.LatestIndex()
	if err != nil {
		return err
	}
	return fn(&WriteTxn{store: s, txn: txn, index: latest + 1, tables: map[string]struct{}{}, jobs: map[jobKey]bool{}})
}

// Index is the Raft index the transaction writes at.
func (tx *WriteTxn) Index() uint64 { return tx.index }

func (tx *WriteTxn) touchTable(tables ...string) {
	for _, t := range tables {
		tx.tables[t] = struct{}{}
	}
}

// touchJob records that a job's status may have changed; live says that a
// non-terminal allocation of the job was just written.
func (tx *WriteTxn) touchJob(namespace, id string, live bool) {
	k := jobKey{namespace, id}
	tx.jobs[k] = tx.jobs[k] || live
}

func (tx *WriteTxn) finish() error {
	if err := tx.refreshJobStatuses(); err != nil {
		return err
	}
	if err := tx.writeNodeAllocs(); err != nil {
		return err
	}
	if err := tx.writeNodeUsage(); err != nil {
		return err
	}
	names := make([]string, 0, len(tx.tables))
	for t := range tx.tables {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		if err := tx.setTableIndex(t); err != nil {
			return err
		}
	}
	return nil
}

// setTableIndex records the transaction's index for a table. It never moves
// an index backwards, so blocking queries never see time run back.
func (tx *WriteTxn) setTableIndex(table string) error {
	raw, err := tx.txn.First(TableIndex, indexID, table)
	if err != nil {
		return fmt.Errorf("read index of table %q: %w", table, err)
	}
	if raw != nil && raw.(*IndexEntry).Value >= tx.index {
		return nil
	}
	if err := tx.txn.Insert(TableIndex, &IndexEntry{Key: table, Value: tx.index}); err != nil {
		return fmt.Errorf("update index of table %q: %w", table, err)
	}
	return nil
}

// refreshJobStatuses recomputes the status of every touched job, in a fixed
// order so that every server writes the same thing.
func (tx *WriteTxn) refreshJobStatuses() error {
	keys := make([]jobKey, 0, len(tx.jobs))
	for k := range tx.jobs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].namespace != keys[j].namespace {
			return keys[i].namespace < keys[j].namespace
		}
		return keys[i].id < keys[j].id
	})
	for _, k := range keys {
		if err := tx.refreshJobStatus(k, tx.jobs[k]); err != nil {
			return err
		}
	}
	return nil
}
