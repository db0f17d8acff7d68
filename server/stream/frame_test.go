package stream

import (
	"bytes"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// fakeClock makes a broker whose clock the test sets.
func fakeClock(b *Broker) *time.Duration {
	now := new(time.Duration)
	b.now = func() time.Duration { return *now }
	return now
}

// TestFrames: once a slot is over, a subscriber that has read none of it
// and keeps all of its events gets its batches as one batch whose chunk is
// shared with every other such subscriber and whose plain bytes are the
// batches' own lines; a subscriber that is mid-frame, filters an event
// out, or reads a slot still open gets batch by batch, and NextUpTo never
// passes the slot it is given.
func TestFrames(t *testing.T) {
	b := NewBroker(0)
	now := fakeClock(b)
	subscribe := func(filter Filter) *Subscription {
		s, err := b.Subscribe(0, filter)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	whole1, whole2 := subscribe(nil), subscribe(nil)
	noJob3 := subscribe(func(e *Event) bool { return e.Key != "job-3" })
	*now = 3 * time.Millisecond // slot 0: indexes 1-3
	for i := uint64(1); i <= 3; i++ {
		b.Publish(i, []*Event{ev(TopicJob, fmt.Sprint("job-", i), i), ev(TopicAllocation, fmt.Sprint("alloc-", i), i)})
	}
	midFrame := subscribe(nil) // starts after index 3
	*now = FrameSlot + time.Millisecond
	b.Publish(4, []*Event{ev(TopicJob, "job-4", 4)}) // slot 1, alone
	b.Publish(5, []*Event{ev(TopicJob, "job-5", 5)}) // slot 1
	if _, ok, err := whole1.NextUpTo(0, true); ok || err != nil {
		t.Fatalf("NextUpTo(0) returned a batch (%v, %v): nothing is before slot 0", ok, err)
	}

	// Slot 0 is over, slot 1 is not.
	f1, ok, err := whole1.NextUpTo(math.MaxInt64, true)
	if err != nil || !ok || f1.Index != 3 || f1.frame == nil {
		t.Fatalf("first read: index %d frame %v ok %v err %v, want slot 0 as one frame ending at 3", f1.Index, f1.frame != nil, ok, err)
	}
	f2, _, _ := whole2.NextUpTo(math.MaxInt64, true)
	c1, err := f1.Chunk(Summary)
	if err != nil {
		t.Fatal(err)
	}
	if c2, _ := f2.Chunk(Summary); c1 != c2 {
		t.Fatal("two subscribers of the same frame got two chunks: it was compressed twice")
	}
	var want bytes.Buffer
	for i := uint64(1); i <= 3; i++ {
		e := b.ring[i-1]
		line, err := Batch{Index: e.index, Events: e.events, whole: e}.Line(Summary)
		if err != nil {
			t.Fatal(err)
		}
		want.Write(line)
	}
	if got, _ := f1.Line(Summary); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("frame line:\n%s\nwant the batches' lines:\n%s", got, want.Bytes())
	}
	// Slot 1 is still open: batch by batch.
	if n4, _, _ := whole1.NextUpTo(math.MaxInt64, true); n4.Index != 4 || n4.frame != nil {
		t.Fatalf("open slot: got index %d (frame %v), want batch 4 alone", n4.Index, n4.frame != nil)
	}
	// The filtered subscriber gets batches, the third without job-3.
	for i := uint64(1); i <= 3; i++ {
		got, ok, err := noJob3.NextUpTo(1, true)
		if err != nil || !ok || got.frame != nil || got.Index != i {
			t.Fatalf("filtered subscriber read %d: index %d frame %v ok %v err %v", i, got.Index, got.frame != nil, ok, err)
		}
		if i == 3 && (len(got.Events) != 1 || got.Events[0].Key != "alloc-3") {
			t.Fatalf("filtered batch 3: %d events", len(got.Events))
		}
	}
	if _, ok, _ := noJob3.NextUpTo(1, true); ok {
		t.Fatal("NextUpTo(1) passed slot 0")
	}
	// Slot 1 over: the subscriber that read 4 alone gets 5 alone; the one
	// that started mid-way through slot 0 gets slot 1 as a frame.
	*now = 2 * FrameSlot
	if n5, _, _ := whole1.NextUpTo(math.MaxInt64, true); n5.Index != 5 || n5.frame != nil {
		t.Fatalf("mid-frame read: index %d frame %v, want batch 5 alone", n5.Index, n5.frame != nil)
	}
	if f, _, _ := midFrame.NextUpTo(math.MaxInt64, true); f.Index != 5 || f.frame == nil {
		t.Fatalf("slot 1 from its start: index %d frame %v, want one frame ending at 5", f.Index, f.frame != nil)
	}
	// Without frames (plain streams) the same slot comes batch by batch.
	if b1, _, _ := whole2.NextUpTo(math.MaxInt64, false); b1.Index != 4 || b1.frame != nil {
		t.Fatalf("frames off: index %d frame %v, want batch 4", b1.Index, b1.frame != nil)
	}
}

// TestFrameChunkInGzipStream: a frame's chunk, a batch's chunk and a
// line of the stream's own make one valid gzip stream whose text is the
// batches' lines in order, as if each had been sent on its own.
func TestFrameChunkInGzipStream(t *testing.T) {
	b := NewBroker(0)
	now := fakeClock(b)
	sub, err := b.Subscribe(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(1); i <= 20; i++ {
		b.Publish(i, []*Event{ev(TopicAllocation, fmt.Sprint("alloc-", i), i)})
	}
	*now = FrameSlot
	b.Publish(21, []*Event{ev(TopicJob, "job", 21)})
	*now = 2 * FrameSlot
	var buf, want bytes.Buffer
	g := NewGzipWriter(&buf)
	for {
		batch, ok, err := sub.NextUpTo(math.MaxInt64, true)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		c, err := batch.Chunk(Summary)
		if err != nil {
			t.Fatal(err)
		}
		if err := g.WriteChunk(c); err != nil {
			t.Fatal(err)
		}
		line, _ := batch.Line(Summary)
		want.Write(line)
		if _, err := g.Write([]byte("{\"heartbeat\":true}\n")); err != nil {
			t.Fatal(err)
		}
		want.WriteString("{\"heartbeat\":true}\n")
	}
	got := closeAndDecode(t, g, &buf)
	if !bytes.Equal(got, want.Bytes()) || bytes.Count(got, []byte(`{"index":`)) != 21 {
		t.Fatalf("decoded:\n%s\nwant:\n%s", got, want.Bytes())
	}
}

// BenchmarkSlotTo100Subscribers is one 25 ms slot of jobs placed one at a
// time (8 indexes of 10 allocation events) sent to 100 gzip subscribers,
// batch by batch (frames=false, as before frames) or as one frame: what
// the slot costs the servers (ns/op, encoding and compression once plus
// each subscriber's copies, not the writes) and the bytes each subscriber
// is sent per event.
func BenchmarkSlotTo100Subscribers(b *testing.B) {
	for _, frames := range []bool{false, true} {
		b.Run(fmt.Sprintf("frames=%v", frames), func(b *testing.B) { benchSlot(b, frames) })
	}
}

func benchSlot(b *testing.B, frames bool) {
	const subscribers, indexes, perIndex = 100, 8, 10
	nodes := make([]string, 500)
	for i := range nodes {
		nodes[i] = structs.GenerateID()
	}
	br := NewBroker(0)
	now := fakeClock(br)
	subs := make([]*Subscription, subscribers)
	out := make([]*GzipWriter, subscribers)
	var sent countWriter
	for i := range subs {
		var err error
		if subs[i], err = br.Subscribe(0, nil); err != nil {
			b.Fatal(err)
		}
		out[i] = NewGzipWriter(&sent)
	}
	index := uint64(0)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		for i := 0; i < indexes; i++ {
			index++
			events := make([]*Event, perIndex)
			for j := range events {
				events[j] = allocEvent(nodes, fmt.Sprint("job-", index), j, index)
			}
			br.Publish(index, events)
		}
		*now += FrameSlot
		b.StartTimer()
		for i, sub := range subs {
			for {
				batch, ok, err := sub.NextUpTo(SlotOf(*now), frames)
				if err != nil {
					b.Fatal(err)
				}
				if !ok {
					break
				}
				c, err := batch.Chunk(Summary)
				if err != nil {
					b.Fatal(err)
				}
				if err := out[i].WriteChunk(c); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.ReportMetric(float64(sent)/float64(b.N*indexes*perIndex*subscribers), "B/event/subscriber")
}

// countWriter counts what is written to it.
type countWriter int

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}
