package server

import (
	"sync"

	"github.com/appmesh/appmesh/structs"
)

// maxAllocUpdatesPerEntry bounds one Raft entry of merged client updates: a
// status update with its task states is up to a few kilobytes, and an
// entry of megabytes would hold followers' heartbeat responses behind its
// transfer and fsync.
const maxAllocUpdatesPerEntry = 1024

// allocUpdateBatcher merges the clients' concurrent Node.UpdateAlloc calls
// into few Raft entries (group commit). A call that finds no write in
// flight is written at once, so an idle cluster adds no latency; calls that
// arrive while a write is in flight wait for it and go out together in the
// next one. Under load (thousands of nodes acknowledging new allocations)
// the leader then commits one entry per round trip instead of one per
// call: each entry is a log append, an fsync on every server and an FSM
// transaction.
type allocUpdateBatcher struct {
	apply func(*structs.AllocClientUpdateEntry) (uint64, error)

	mu       sync.Mutex
	pending  []*allocUpdateCall
	inFlight bool
}

// allocUpdateCall is one caller's updates and, once written, the entry's
// index or error.
type allocUpdateCall struct {
	allocs []*structs.AllocStatusUpdate
	evals  []*structs.Evaluation
	done   chan struct{}
	index  uint64
	err    error
}

func newAllocUpdateBatcher(apply func(*structs.AllocClientUpdateEntry) (uint64, error)) *allocUpdateBatcher {
	return &allocUpdateBatcher{apply: apply}
}

// write commits the updates and evaluations, merged with those of other
// callers, and returns the index of the entry that carried them.
func (b *allocUpdateBatcher) write(allocs []*structs.AllocStatusUpdate, evals []*structs.Evaluation) (uint64, error) {
	c := &allocUpdateCall{allocs: allocs, evals: evals, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, c)
	start := !b.inFlight
	b.inFlight = true
	b.mu.Unlock()
	if start {
		// The writer ends as soon as nothing is pending; the calls it
		// serves wait for it, so it never outlives them by more than the
		// write it is doing.
		go b.drain()
	}
	<-c.done
	return c.index, c.err
}

// drain writes pending calls, a bounded entry at a time, until none is left.
func (b *allocUpdateBatcher) drain() {
	for {
		b.mu.Lock()
		calls := b.take()
		if len(calls) == 0 {
			b.inFlight = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		b.writeEntry(calls)
	}
}

// take removes from pending the calls of the next entry: whole calls up to
// maxAllocUpdatesPerEntry updates, and always at least one. Callers hold
// b.mu.
func (b *allocUpdateBatcher) take() []*allocUpdateCall {
	n, updates := 0, 0
	for n < len(b.pending) && (n == 0 || updates+len(b.pending[n].allocs) <= maxAllocUpdatesPerEntry) {
		updates += len(b.pending[n].allocs)
		n++
	}
	calls := b.pending[:n:n]
	b.pending = b.pending[n:]
	if len(b.pending) == 0 {
		b.pending = nil // let the backing array go
	}
	return calls
}

func (b *allocUpdateBatcher) writeEntry(calls []*allocUpdateCall) {
	entry := &structs.AllocClientUpdateEntry{}
	for _, c := range calls {
		entry.Allocs = append(entry.Allocs, c.allocs...)
		entry.Evals = append(entry.Evals, c.evals...)
	}
	index, err := b.apply(entry)
	for _, c := range calls {
		c.index, c.err = index, err
		close(c.done)
	}
}
