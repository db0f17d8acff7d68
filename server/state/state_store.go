// Package state is the servers' replicated state: jobs (with their last
// versions), allocations, evaluations, nodes, ACL policies, tokens and
// roles, and namespaces in go-memdb tables, written only by the Raft FSM and
// read by RPC endpoints, blocking queries and the scheduler (through
// point-in-time snapshots).
//
// Objects returned by reads are shared with the store and with every other
// reader: callers must treat them as read-only and Copy() them before
// changing anything. Writes never modify a stored object in place; they
// insert changed copies, which is what makes snapshots and lock-free reads
// safe.
//
// Writes are deterministic: they take the Raft index and every time value
// from their arguments and never read the clock or generate IDs.
package state

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-memdb"
)

// StateStore holds the cluster state in memory.
type StateStore struct {
	logger hclog.Logger
	db     *memdb.MemDB

	// abandon is shared with the read views BlockingQuery hands to query
	// functions, so a view is abandoned together with its store.
	abandon *abandonState
	// jobChanges is nil in snapshots (job_changes.go).
	jobChanges *jobChangeLog
	// changes is told what each write changed (change_hook.go); nil on
	// snapshots and views, which are never written.
	changes *changeHookBox
}

type abandonState struct {
	// ch is closed when a snapshot restore replaced the store, so blocking
	// queries stop watching it.
	ch   chan struct{}
	once sync.Once
	// successor is the store that replaced this one, if any; blocking
	// queries follow it so that they keep answering across a restore.
	successor atomic.Pointer[StateStore]
}

// StateSnapshot is a read-only, point-in-time view of a StateStore. Later
// writes to the store are not visible through it. Its write methods must not
// be used.
type StateSnapshot struct {
	*StateStore
}

// NewStateStore returns an empty store.
func NewStateStore(logger hclog.Logger) (*StateStore, error) {
	db, err := newMemDB()
	if err != nil {
		return nil, err
	}
	return newStore(logger, db), nil
}

func newStore(logger hclog.Logger, db *memdb.MemDB) *StateStore {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &StateStore{
		logger:  logger.Named("state"),
		db:      db,
		abandon: &abandonState{ch: make(chan struct{})},
		// jobChanges feeds the leader's schedule runner (job_changes.go).
		jobChanges: newJobChangeLog(),
		changes:    &changeHookBox{},
	}
}

// Snapshot returns a point-in-time view of the store. It is cheap (the
// underlying radix trees are immutable) and is what schedulers and Raft
// snapshots read from.
func (s *StateStore) Snapshot() (*StateSnapshot, error) {
	snap := &StateStore{
		logger:  s.logger,
		db:      s.db.Snapshot(),
		abandon: &abandonState{ch: make(chan struct{})},
	}
	return &StateSnapshot{StateStore: snap}, nil
}

// view returns a point-in-time view that is abandoned with s. Watch
// channels taken from it fire on later writes to s, like those of s.
func (s *StateStore) view() *StateStore {
	return &StateStore{logger: s.logger, db: s.db.Snapshot(), abandon: s.abandon}
}

// AbandonCh is closed when the store has been replaced (snapshot restore).
func (s *StateStore) AbandonCh() <-chan struct{} { return s.abandon.ch }

// Abandon marks the store as replaced without naming a successor; blocking
// queries running on it return their last result.
func (s *StateStore) Abandon() { s.AbandonTo(nil) }

// AbandonTo marks the store as replaced by next. Blocking queries running
// on this store re-run on next instead of returning.
func (s *StateStore) AbandonTo(next *StateStore) {
	if next != nil {
		s.abandon.successor.Store(next)
		s.carryChangeHook(next)
	}
	s.abandon.once.Do(func() { close(s.abandon.ch) })
}

// Abandoned reports whether the store was replaced.
func (s *StateStore) Abandoned() bool {
	select {
	case <-s.abandon.ch:
		return true
	default:
		return false
	}
}

// Successor returns the store that replaced this one, or nil.
func (s *StateStore) Successor() *StateStore { return s.abandon.successor.Load() }

// Index returns the Raft index of the last write to a table (0 if none).
func (s *StateStore) Index(table string) (uint64, error) {
	raw, err := s.db.Txn(false).First(TableIndex, indexID, table)
	if err != nil {
		return 0, fmt.Errorf("read index of table %q: %w", table, err)
	}
	if raw == nil {
		return 0, nil
	}
	return raw.(*IndexEntry).Value, nil
}

// MaxIndex returns the largest write index among the given tables; it is
// the index a query reading those tables should report.
func (s *StateStore) MaxIndex(tables ...string) (uint64, error) {
	var max uint64
	for _, t := range tables {
		idx, err := s.Index(t)
		if err != nil {
			return 0, err
		}
		if idx > max {
			max = idx
		}
	}
	return max, nil
}

// LatestIndex returns the Raft index of the last write to any table.
func (s *StateStore) LatestIndex() (uint64, error) {
	it, err := s.db.Txn(false).Get(TableIndex, indexID)
	if err != nil {
		return 0, fmt.Errorf("list table indexes: %w", err)
	}
	var max uint64
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if v := raw.(*IndexEntry).Value; v > max {
			max = v
		}
	}
	return max, nil
}

// namespaceOrDefault maps the empty namespace to the default one, so that
// callers and payloads may leave it out.
func namespaceOrDefault(ns string) string {
	if ns == "" {
		return structs.DefaultNamespace
	}
	return ns
}
