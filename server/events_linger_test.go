package server

import (
	"bytes"
	"testing"
	"time"

	"github.com/appmesh/appmesh/transport"
)

// TestStreamLinger: the first batch after a quiet spell goes out at the
// next instant of the eventLinger grid (at most eventLinger later),
// batches that keep coming right after each send wait longer, up to
// eventLingerBusy, and a quiet spell brings the linger back down. The
// instants depend only on publish times, so two subscribers that are
// caught up send at the same ones (and share their frames' chunks).
func TestStreamLinger(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	steps := []struct {
		at, want, linger time.Duration
	}{
		{ms(7), ms(25), eventLinger},          // first: the next 25 ms instant
		{ms(26), ms(50), 2 * eventLinger},     // right after the send: busy
		{ms(51), ms(100), 4 * eventLinger},    // busier
		{ms(101), ms(200), eventLingerBusy},   // capped
		{ms(200), ms(300), eventLingerBusy},   // still busy
		{ms(340), ms(350), eventLinger},       // 40 ms of quiet: back to 25
		{ms(1000), ms(1025), eventLinger},     // quiet
		{ms(1025), ms(1050), 2 * eventLinger}, // published at the send instant
	}
	a := newStreamWriter(&transport.EventsRequest{}, &bytes.Buffer{}, func() {})
	b := newStreamWriter(&transport.EventsRequest{}, &bytes.Buffer{}, func() {})
	for i, s := range steps {
		got := a.sendAt(s.at)
		if got != s.want || a.linger != s.linger {
			t.Fatalf("step %d: published at %v: send at %v lingering %v, want %v lingering %v", i, s.at, got, a.linger, s.want, s.linger)
		}
		if other := b.sendAt(s.at); other != got {
			t.Fatalf("step %d: two writers with the same history send at %v and %v", i, got, other)
		}
		a.sentAt, b.sentAt = got, got
	}
	if eventLingerBusy%eventLinger != 0 {
		t.Fatalf("eventLingerBusy %v is not a multiple of eventLinger %v: busy sends would end mid-frame", eventLingerBusy, eventLinger)
	}
}
