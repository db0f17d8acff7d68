// Package fsm is the Raft finite state machine of the servers: it applies
// committed log entries to the state store, takes and restores snapshots,
// and tells the leader's in-memory machinery (eval broker, blocked evals)
// what changed.
//
// Applying must be deterministic: every server applies the same entries in
// the same order and must end in the same state, so nothing here reads the
// clock or generates IDs; the entries carry those values.
package fsm

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/appmesh/appmesh/metrics"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// Listener is told about changes the leader acts on. Its methods are called
// synchronously from Apply, in log order, and must not block; they must not
// write through Raft either (that would deadlock the apply loop).
type Listener interface {
	// EvalsUpserted receives copies of the evaluations an entry stored,
	// with their indexes set.
	EvalsUpserted(evals []*structs.Evaluation)
	// CapacityChanged reports that capacity may have appeared (a node
	// became ready or allocations became terminal), so blocked evaluations
	// can be retried.
	CapacityChanged(index uint64)
}

// FSM implements raft.FSM on top of a state.StateStore.
type FSM struct {
	logger   hclog.Logger
	state    atomic.Pointer[state.StateStore]
	listener atomic.Pointer[listenerBox]
}

// listenerBox lets an interface value live in an atomic.Pointer.
type listenerBox struct{ l Listener }

var _ raft.FSM = (*FSM)(nil)

// New returns an FSM over an empty state store.
func New(logger hclog.Logger) (*FSM, error) {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	f := &FSM{logger: logger.Named("fsm")}
	s, err := state.NewStateStore(logger)
	if err != nil {
		return nil, fmt.Errorf("create FSM: %w", err)
	}
	f.state.Store(s)
	return f, nil
}

// State returns the current state store. It changes when a snapshot is
// restored, so callers should not keep it for long.
func (f *FSM) State() *state.StateStore { return f.state.Load() }

// SetListener installs l (nil removes it). It is safe to call while entries
// are being applied; an entry sees either the old or the new listener.
func (f *FSM) SetListener(l Listener) {
	if l == nil {
		f.listener.Store(nil)
		return
	}
	f.listener.Store(&listenerBox{l: l})
}

func (f *FSM) currentListener() Listener {
	if b := f.listener.Load(); b != nil {
		return b.l
	}
	return nil
}

// Apply applies one committed log entry. It returns nil or an error value
// (the entry was rejected as a whole). An entry of an unknown type panics
// unless flagged with structs.IgnoreUnknownTypeFlag: a server that cannot
// apply what the others apply must stop rather than silently diverge.
func (f *FSM) Apply(log *raft.Log) any {
	if len(log.Data) == 0 {
		return fmt.Errorf("apply entry at index %d: empty entry", log.Index)
	}
	t := structs.MessageType(log.Data[0])
	ignoreUnknown := t&structs.IgnoreUnknownTypeFlag != 0
	t &^= structs.IgnoreUnknownTypeFlag
	apply, ok := appliers[t]
	if !ok {
		if ignoreUnknown {
			f.logger.Warn("ignoring unknown log entry type", "type", t, "index", log.Index)
			return nil
		}
		panic(fmt.Sprintf("appmesh fsm: cannot apply log entry %d of unknown type %d: "+
			"this server is older than the one that wrote it; upgrade it", log.Index, t))
	}
	defer metrics.Since(metrics.FSMApply.WithLabelValues(t.String()), time.Now())
	if err := apply(f, log.Index, log.Data[1:]); err != nil {
		return fmt.Errorf("apply entry type %d at index %d: %w", t, log.Index, err)
	}
	return nil
}

// Snapshot captures the current state cheaply; the expensive part (writing
// it out) happens in Persist, off the apply loop.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	snap, err := f.State().Snapshot()
	if err != nil {
		return nil, fmt.Errorf("snapshot state: %w", err)
	}
	return &fsmSnapshot{snap: snap}, nil
}

// Restore replaces the state with the snapshot read from rc. The old store
// is abandoned in favour of the new one, so blocking queries move over.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	s, err := state.Restore(rc, f.logger)
	if err != nil {
		return err
	}
	old := f.state.Swap(s)
	old.AbandonTo(s)
	return nil
}

type fsmSnapshot struct {
	snap *state.StateSnapshot
}

// Persist writes the snapshot to the sink, cancelling it on failure so that
// Raft does not keep a partial snapshot.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := s.snap.Persist(sink); err != nil {
		sink.Cancel()
		return fmt.Errorf("persist state snapshot: %w", err)
	}
	if err := sink.Close(); err != nil {
		return fmt.Errorf("close state snapshot: %w", err)
	}
	return nil
}

// Release is a no-op: a state snapshot holds no resources beyond memory.
func (s *fsmSnapshot) Release() {}
