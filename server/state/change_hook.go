package state

import (
	"sync/atomic"

	"github.com/hashicorp/go-memdb"
)

// ChangeHook is told, after each committed write, the Raft index and the
// objects it inserted or deleted (go-memdb's change tracking, one entry
// per object, Before and After set as the write left them). It runs on the
// FSM's apply loop: it must be quick and must not write to the store. The
// objects are the stored ones and must be treated as read-only.
type ChangeHook func(index uint64, changes memdb.Changes)

type changeHookBox struct {
	hook atomic.Pointer[ChangeHook]
}

// SetChangeHook installs h (nil removes it). Writes pay for change
// tracking only while a hook is installed. The hook moves to the store
// that replaces this one on a snapshot restore (AbandonTo).
func (s *StateStore) SetChangeHook(h ChangeHook) {
	if s.changes == nil {
		return
	}
	if h == nil {
		s.changes.hook.Store(nil)
		return
	}
	s.changes.hook.Store(&h)
}

func (s *StateStore) changeHook() ChangeHook {
	if s.changes == nil {
		return nil
	}
	if h := s.changes.hook.Load(); h != nil {
		return *h
	}
	return nil
}

func (s *StateStore) carryChangeHook(next *StateStore) {
	if s.changes == nil || next.changes == nil {
		return
	}
	if h := s.changes.hook.Load(); h != nil {
		next.changes.hook.CompareAndSwap(nil, h)
	}
}
