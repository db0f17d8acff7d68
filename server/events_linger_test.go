package server

import (
	"bytes"
	"testing"
	"time"

	"github.com/appmesh/appmesh/transport"
)

// TestStreamLinger: the first batch after a quiet spell waits at most
// eventLinger (as before the linger adapted), batches that keep coming
// right after each send wait longer, up to eventLingerBusy, and a quiet
// spell brings the linger back down.
func TestStreamLinger(t *testing.T) {
	var out bytes.Buffer
	flushes := 0
	sw := newStreamWriter(&transport.EventsRequest{}, &out, func() { flushes++ })
	send := func() {
		t.Helper()
		sw.pending()
		if _, err := sw.bw.Write([]byte("{}\n")); err != nil {
			t.Fatal(err)
		}
		if err := sw.idle(); err != nil {
			t.Fatal(err)
		}
	}
	sw.pending()
	if sw.linger != eventLinger {
		t.Fatalf("first batch lingers %v, want %v", sw.linger, eventLinger)
	}
	sw.since = time.Time{}
	send()
	want := []time.Duration{2 * eventLinger, 4 * eventLinger, eventLingerBusy, eventLingerBusy}
	for i, w := range want {
		send() // right after the last send: busy
		if sw.linger != w {
			t.Fatalf("busy send %d lingered %v, want %v", i+1, sw.linger, w)
		}
	}
	sw.sent = time.Now().Add(-2 * eventLinger) // a quiet spell
	sw.pending()
	if sw.linger != eventLinger {
		t.Fatalf("first batch after a quiet spell lingers %v, want %v", sw.linger, eventLinger)
	}
	if flushes != 1+len(want) || out.Len() != 3*(1+len(want)) {
		t.Fatalf("%d flushes and %d bytes sent, want %d and %d", flushes, out.Len(), 1+len(want), 3*(1+len(want)))
	}
}
