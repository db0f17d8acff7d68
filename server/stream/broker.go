package stream

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// DefaultBufferSize is how many Raft indexes with events the broker keeps
// for subscribers that resume: a few minutes of a busy cluster.
const DefaultBufferSize = 4096

// ErrLost is returned to a subscriber whose next events were dropped from
// the buffer before it read them (it resumed from too old an index, or it
// read too slowly). It must re-read the state and resume from a newer
// index.
var ErrLost = errors.New("events were dropped from the buffer")

// Broker keeps the latest batches in a ring and lets subscribers read them.
type Broker struct {
	mu       sync.RWMutex
	ring     []*entry // ring[(start+i)%len(ring)], i < n, ascending by index
	size     int
	start, n int
	// dropped is the highest index whose batch left the ring; a cursor
	// below it has lost events.
	dropped uint64
	// last is the highest index published.
	last uint64
	// wake is closed (and replaced) by every publish.
	wake chan struct{}
	// epoch starts the broker's clock (Now); now replaces it in tests.
	epoch time.Time
	now   func() time.Duration
}

// NewBroker returns a broker that keeps up to size batches (0: default).
func NewBroker(size int) *Broker {
	if size <= 0 {
		size = DefaultBufferSize
	}
	return &Broker{ring: make([]*entry, size), size: size, wake: make(chan struct{}), epoch: time.Now()}
}

// Publish appends the events of one index. Indexes must grow; a batch at
// or below the last one (a replayed log after a restore) is ignored. It
// never blocks on subscribers.
func (b *Broker) Publish(index uint64, events []*Event) {
	if len(events) == 0 {
		b.mu.Lock()
		if index > b.last {
			b.last = index
		}
		b.mu.Unlock()
		return
	}
	b.mu.Lock()
	if index <= b.last && b.n > 0 {
		b.mu.Unlock()
		return
	}
	if b.n == b.size {
		old := b.ring[b.start]
		b.dropped = old.index
		b.ring[b.start] = nil
		b.start = (b.start + 1) % b.size
		b.n--
	}
	e := &entry{index: index, events: events, at: b.Now()}
	slot := SlotOf(e.at)
	if b.n > 0 {
		if prev := b.ring[(b.start+b.n-1)%b.size]; prev.frame.slot == slot {
			e.frame = prev.frame
		}
	}
	if e.frame == nil {
		e.frame = &frame{slot: slot}
	}
	e.frame.entries = append(e.frame.entries, e)
	b.ring[(b.start+b.n)%b.size] = e
	b.n++
	b.last = index
	wake := b.wake
	b.wake = make(chan struct{})
	b.mu.Unlock()
	close(wake)
}

// LastIndex is the highest index published (events or not).
func (b *Broker) LastIndex() uint64 {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.last
}

// Oldest is the lowest index still in the buffer (0 when it is empty).
func (b *Broker) Oldest() uint64 {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.n == 0 {
		return 0
	}
	return b.ring[b.start].index
}

// next returns the first batch after cursor, or the channel to wait on
// when there is none yet.
func (b *Broker) next(cursor uint64) (*entry, bool, <-chan struct{}, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if cursor < b.dropped {
		return nil, false, nil, fmt.Errorf("index %d: %w (the buffer starts after index %d); re-read the state and resume from a newer index",
			cursor, ErrLost, b.dropped)
	}
	i := sort.Search(b.n, func(i int) bool { return b.ring[(b.start+i)%b.size].index > cursor })
	if i < b.n {
		return b.ring[(b.start+i)%b.size], true, nil, nil
	}
	return nil, false, b.wake, nil
}

// Filter decides which events a subscriber gets.
type Filter func(*Event) bool

// Subscription reads batches after a cursor.
type Subscription struct {
	b      *Broker
	cursor uint64
	filter Filter
}

// Subscribe starts after index from (0: after the last published index,
// only new events). It fails at once with ErrLost when from is older than
// the buffer.
func (b *Broker) Subscribe(from uint64, filter Filter) (*Subscription, error) {
	if from == 0 {
		from = b.LastIndex()
	}
	if _, _, _, err := b.next(from); err != nil {
		return nil, err
	}
	return &Subscription{b: b, cursor: from, filter: filter}, nil
}

// Cursor is the index of the last batch read (or skipped as filtered out).
func (s *Subscription) Cursor() uint64 { return s.cursor }

// Next returns the next batch with at least one event the filter keeps,
// waiting until there is one or ctx ends. With wait false it returns
// ok=false instead of waiting. A subscriber that read so slowly that the
// buffer dropped batches it had not read yet is dropped: Next returns
// ErrLost (wrapped in a "lagged" message naming its last index) instead
// of the publisher ever waiting for it.
func (s *Subscription) Next(ctx context.Context, wait bool) (Batch, bool, error) {
	for {
		e, ok, wake, err := s.b.next(s.cursor)
		if err != nil {
			return Batch{}, false, s.lagged(err)
		}
		if ok {
			s.cursor = e.index
			kept := s.keep(e.events)
			switch {
			case len(kept) == len(e.events):
				return Batch{Index: e.index, Events: e.events, whole: e}, true, nil
			case len(kept) > 0:
				return Batch{Index: e.index, Events: kept}, true, nil
			}
			continue
		}
		if !wait {
			return Batch{}, false, nil
		}
		select {
		case <-ctx.Done():
			return Batch{}, false, ctx.Err()
		case <-wake:
		}
	}
}

func (s *Subscription) keep(events []*Event) []*Event {
	if s.filter == nil {
		return events
	}
	// Most subscribers keep whole batches: copy only from the first event
	// left out, so that a kept batch costs no allocation per subscriber.
	for i, e := range events {
		if s.filter(e) {
			continue
		}
		out := append(make([]*Event, 0, len(events)-1), events[:i]...)
		for _, e := range events[i+1:] {
			if s.filter(e) {
				out = append(out, e)
			}
		}
		return out
	}
	return events
}

// lagged words the loss of a connected subscriber.
func (s *Subscription) lagged(err error) error {
	if !errors.Is(err, ErrLost) {
		return err
	}
	return fmt.Errorf("lagged: this subscriber read up to index %d, then fell more than %d indexes behind and %w; re-read the state and reconnect with a newer index",
		s.cursor, s.b.size, ErrLost)
}

// Peek waits for the next batch that the filter keeps any of, without
// taking it, and returns when it was published (Broker.Now); batches the
// filter keeps nothing of are passed over. It returns ok=false when
// timeout fires first (nil: never).
func (s *Subscription) Peek(ctx context.Context, timeout <-chan time.Time) (time.Duration, bool, error) {
	for {
		e, ok, wake, err := s.b.next(s.cursor)
		if err != nil {
			return 0, false, s.lagged(err)
		}
		if ok {
			if len(s.keep(e.events)) > 0 {
				return e.at, true, nil
			}
			s.cursor = e.index
			continue
		}
		select {
		case <-ctx.Done():
			return 0, false, ctx.Err()
		case <-timeout:
			return 0, false, nil
		case <-wake:
		}
	}
}

// NextUpTo returns, without waiting, the next batch published in a slot
// before the slot before (ok=false when there is none). With frames, a
// slot that is over, that the subscriber has read none of and gets whole
// comes as one batch whose Chunk is the slot's, compressed once for all
// the subscribers that send it (frame.go).
func (s *Subscription) NextUpTo(before int64, frames bool) (Batch, bool, error) {
	for {
		e, ok, _, err := s.b.next(s.cursor)
		if err != nil {
			return Batch{}, false, s.lagged(err)
		}
		if !ok || e.frame.slot >= before {
			return Batch{}, false, nil
		}
		if frames && s.b.frameDone(e) && s.keepsAll(e.frame) {
			f := e.frame
			s.cursor = f.last()
			return Batch{Index: s.cursor, frame: f}, true, nil
		}
		s.cursor = e.index
		switch kept := s.keep(e.events); {
		case len(kept) == len(e.events):
			return Batch{Index: e.index, Events: e.events, whole: e}, true, nil
		case len(kept) > 0:
			return Batch{Index: e.index, Events: kept}, true, nil
		}
	}
}

// frameDone reports whether e starts a frame of more than one batch whose
// slot is over: nothing can join it, and a subscriber at e can send it
// whole. (A frame of one batch is that batch's own chunk.)
func (b *Broker) frameDone(e *entry) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	f := e.frame
	return f.entries[0] == e && len(f.entries) > 1 && f.slot < SlotOf(b.Now())
}
