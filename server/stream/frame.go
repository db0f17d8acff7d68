package stream

import (
	"time"
)

// Frames: the batches published in one slot of FrameSlot, compressed
// together once for every subscriber.
//
// A chunk per Raft index (Batch.Chunk) compresses poorly when indexes are
// small, as when jobs come one at a time: each chunk carries its own
// Huffman tables and finds no earlier text to refer back to, so a
// subscriber was sent about 540 bytes per allocation instead of about 110,
// and the compressor's fixed cost per block was most of the stream's
// one-time work. Subscribers send on a shared grid of FrameSlot multiples
// (a stream's linger is a multiple of it, server/events.go), so the
// subscribers that are caught up all send the same run of slots at the
// same moment: a slot they get whole goes out as one chunk, built by the
// first of them.

// FrameSlot is the width of a frame, and the grid on which streams send.
const FrameSlot = 25 * time.Millisecond

// frame is the entries published in one slot, in index order.
type frame struct {
	slot int64
	// entries grows while the slot is the broker's current one; a
	// subscriber reads it only once the slot is over.
	entries []*entry
	chunks  [forms]sharedChunk
}

// last is the frame's highest index.
func (f *frame) last() uint64 { return f.entries[len(f.entries)-1].index }

// chunk is the frame's lines, joined and compressed once.
func (f *frame) chunk(form Form) (*Chunk, error) {
	c := &f.chunks[form]
	c.once.Do(func() {
		plain, err := f.line(form)
		if err != nil {
			c.err = err
			return
		}
		c.chunk, c.err = NewChunk(plain)
		if c.err == nil {
			c.chunk.Plain = nil // only its length and CRC are needed again
		}
	})
	return c.chunk, c.err
}

// line is the frame's batches' lines, joined.
func (f *frame) line(form Form) ([]byte, error) {
	lines := make([][]byte, len(f.entries))
	size := 0
	for i, e := range f.entries {
		l, err := Batch{Index: e.index, Events: e.events, whole: e}.Line(form)
		if err != nil {
			return nil, err
		}
		lines[i] = l
		size += len(l)
	}
	out := make([]byte, 0, size)
	for _, l := range lines {
		out = append(out, l...)
	}
	return out, nil
}

// keepsAll reports whether the subscriber's filter keeps every event of
// the frame.
func (s *Subscription) keepsAll(f *frame) bool {
	if s.filter == nil {
		return true
	}
	for _, e := range f.entries {
		for _, ev := range e.events {
			if !s.filter(ev) {
				return false
			}
		}
	}
	return true
}

// Now is the broker's clock: the time since it was made, on the
// monotonic clock. A batch's slot and a stream's send grid count from it.
func (b *Broker) Now() time.Duration {
	if b.now != nil {
		return b.now()
	}
	return time.Since(b.epoch)
}

// SlotOf is the slot that a time on the broker's clock falls in.
func SlotOf(t time.Duration) int64 { return int64(t / FrameSlot) }
