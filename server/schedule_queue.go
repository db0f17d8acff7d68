package server

import (
	"container/heap"
	"context"
	"strings"
	"time"

	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/server/state"
)

// runSchedules is started by establishLeadership. It rebuilds the due
// queue from the state once, then steps only what needs it: the jobs the
// state's change log names (registered, stopped, purged, or whose status
// changed, with the parent of each child so that a finished child frees a
// dispatch slot or an overlap), and the jobs whose due time came. With
// many jobs a change costs a step of the jobs it touched, not a rescan.
func (s *Server) runSchedules(ctx context.Context) {
	r := newScheduleRunner(s, time.Now)
	var store *state.StateStore
	var seen uint64
	for {
		st := s.State()
		changes, next, complete, notify := st.JobChangesSince(seen)
		wait := time.Duration(0)
		if st != store || !complete {
			// A new leadership, a restored snapshot, or a runner that
			// fell behind the bounded change log: read every job.
			store, seen = st, next
			wait = r.pass(nil)
		} else {
			seen = next
			r.stepChanged(st, changes)
			r.stepDue(st)
			wait = r.untilNext()
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-notify:
		case <-timer.C:
		}
		timer.Stop()
		if !ctxsleep.Sleep(ctx, minPassGap) {
			return
		}
	}
}

// stepChanged steps each changed job once, and the parent of each child
// among them.
func (r *scheduleRunner) stepChanged(st *state.StateStore, changes []state.JobChange) {
	if len(changes) == 0 {
		return
	}
	keys := make(map[jobKey]bool, len(changes))
	for _, c := range changes {
		k := jobKey{namespaceOf(c.Namespace), c.ID}
		keys[k] = true
		// A child is "<parent>/periodic-…" or "<parent>/dispatch-…".
		if i := strings.LastIndex(c.ID, "/"); i > 0 {
			keys[jobKey{k.namespace, c.ID[:i]}] = true
		}
	}
	now := r.now()
	for k := range keys {
		r.stepKey(st, k, now)
	}
}

// stepDue steps every job whose due time has come.
func (r *scheduleRunner) stepDue(st *state.StateStore) {
	now := r.now()
	for _, k := range r.queue.popDue(now) {
		r.stepKey(st, k, now)
	}
}

func (r *scheduleRunner) stepKey(st *state.StateStore, k jobKey, now time.Time) {
	job, err := st.JobByID(nil, k.namespace, k.id)
	if err != nil {
		r.logger.Error("read job for its schedule", "job_id", k.id, "error", err)
		r.queue.set(k, now.Add(time.Second))
		return
	}
	if job == nil {
		r.queue.set(k, time.Time{}) // purged
		return
	}
	r.stepJob(job, now)
}

// dueQueue holds the jobs that have something due later, by due time
// (earliest first), at most once each.
type dueQueue struct {
	h     dueHeap
	index map[jobKey]*dueItem
}

type dueItem struct {
	key jobKey
	at  time.Time
	pos int
}

func newDueQueue() dueQueue { return dueQueue{index: map[jobKey]*dueItem{}} }

// set queues the job at `at`, or drops it when at is zero.
func (q *dueQueue) set(k jobKey, at time.Time) {
	it, ok := q.index[k]
	switch {
	case at.IsZero() && ok:
		heap.Remove(&q.h, it.pos)
		delete(q.index, k)
	case at.IsZero():
	case ok:
		it.at = at
		heap.Fix(&q.h, it.pos)
	default:
		it = &dueItem{key: k, at: at}
		q.index[k] = it
		heap.Push(&q.h, it)
	}
}

// peek returns the earliest due time.
func (q *dueQueue) peek() (time.Time, bool) {
	if len(q.h) == 0 {
		return time.Time{}, false
	}
	return q.h[0].at, true
}

// popDue removes and returns the jobs due at or before now.
func (q *dueQueue) popDue(now time.Time) []jobKey {
	var out []jobKey
	for len(q.h) > 0 && !q.h[0].at.After(now) {
		it := heap.Pop(&q.h).(*dueItem)
		delete(q.index, it.key)
		out = append(out, it.key)
	}
	return out
}

func (q *dueQueue) len() int { return len(q.h) }

type dueHeap []*dueItem

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].pos, h[j].pos = i, j
}
func (h *dueHeap) Push(x any) {
	it := x.(*dueItem)
	it.pos = len(*h)
	*h = append(*h, it)
}
func (h *dueHeap) Pop() any {
	old := *h
	n := len(old)
	it := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return it
}
