package state

import (
	"context"

	"github.com/hashicorp/go-memdb"
)

// QueryFn reads from s, adds every watch channel it used to ws, and returns
// its result and the index that result reflects: the largest index of the
// tables it read (see MaxIndex), so that the index never goes backwards.
// s is a read-only point-in-time view: fn must only read from it.
type QueryFn func(ws memdb.WatchSet, s *StateStore) (resp any, index uint64, err error)

// BlockingQuery runs fn and, while the index it returns is not above
// minIndex, waits for something fn read to change and runs it again.
//
// fn runs on a point-in-time view of the store, so the data it reads and
// the index it reports always belong together (reading them in separate
// transactions could pair old data with a new index and lose an update).
//
// It returns the first result above minIndex; the last result when ctx is
// done (a timed-out blocking query is not an error); or fn's error. A
// minIndex of 0 never blocks. When the store is replaced by a snapshot
// restore, the query moves to the replacing store (see AbandonTo) and runs
// again there, so callers may keep a reference to an old store.
func (s *StateStore) BlockingQuery(ctx context.Context, minIndex uint64, fn QueryFn) (any, uint64, error) {
	store := s
	for {
		ws := memdb.NewWatchSet()
		ws.Add(store.AbandonCh())
		resp, index, err := fn(ws, store.view())
		if err != nil {
			return resp, index, err
		}
		if minIndex == 0 || index > minIndex || ctx.Err() != nil {
			return resp, index, nil
		}
		if err := ws.WatchCtx(ctx); err != nil {
			return resp, index, nil // ctx done: answer with what we have
		}
		if store.Abandoned() {
			next := store.Successor()
			if next == nil {
				return resp, index, nil
			}
			store = next
		}
	}
}
