package state

import "sync"

// JobChange names a job written (or purged) at a Raft index.
type JobChange struct {
	Index     uint64
	Namespace string
	ID        string
}

// jobChangeLogMax bounds the change log; a reader that falls further
// behind is told to read the whole jobs table again.
const jobChangeLogMax = 16384

// jobChangeLog is a bounded feed of the jobs each committed transaction
// touched (registered, stopped, purged, or whose status may have changed
// because of their allocations or evaluations). The leader's schedule
// runner follows it to look only at the jobs that changed instead of
// rescanning every job on every change.
type jobChangeLog struct {
	mu      sync.Mutex
	entries []JobChange
	// dropped is the highest index whose entries were dropped.
	dropped uint64
	latest  uint64
	notify  chan struct{}
}

func newJobChangeLog() *jobChangeLog { return &jobChangeLog{notify: make(chan struct{})} }

// record appends the jobs a transaction at index touched.
func (l *jobChangeLog) record(index uint64, jobs map[jobKey]bool) {
	if l == nil || len(jobs) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range jobs {
		l.entries = append(l.entries, JobChange{Index: index, Namespace: k.namespace, ID: k.id})
	}
	// Trimmed in bulk, down to half the bound, so that a busy log copies
	// its entries once per jobChangeLogMax/2 changes, not on every commit.
	if len(l.entries) > jobChangeLogMax {
		n := len(l.entries) - jobChangeLogMax/2
		l.dropped = l.entries[n-1].Index
		l.entries = append([]JobChange(nil), l.entries[n:]...)
	}
	l.latest = max(l.latest, index)
	close(l.notify)
	l.notify = make(chan struct{})
}

// JobChangesSince returns the job changes at indexes above after, the
// index to ask from next time, and a channel closed at the next change.
// complete is false when changes after `after` were already dropped (or
// the store keeps no log): the caller must read the jobs table in full.
func (s *StateStore) JobChangesSince(after uint64) (changes []JobChange, next uint64, complete bool, notify <-chan struct{}) {
	l := s.jobChanges
	if l == nil {
		return nil, after, false, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dropped > after {
		return nil, l.latest, false, l.notify
	}
	for i := len(l.entries) - 1; i >= 0 && l.entries[i].Index > after; i-- {
		changes = append(changes, l.entries[i])
	}
	return changes, max(l.latest, after), true, l.notify
}
