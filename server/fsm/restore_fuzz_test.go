package fsm

import (
	"bytes"
	"io"
	"testing"
)

// FuzzFSMRestore feeds arbitrary bytes to snapshot restore (what a server
// reads from a snapshot file, from the leader's InstallSnapshot, or from
// `operator snapshot restore`): it must never panic, and a refused
// snapshot leaves the FSM's state as it was.
func FuzzFSMRestore(f *testing.F) {
	src := testFSM(f)
	populate(f, src)
	snap, err := src.Snapshot()
	must(f, err)
	sink := &bufferSink{}
	must(f, snap.Persist(sink))
	good := sink.Bytes()
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(good[:16])
	f.Add([]byte{})
	flipped := bytes.Clone(good)
	flipped[len(flipped)/3] ^= 0xff
	f.Add(flipped)
	f.Fuzz(func(t *testing.T, data []byte) {
		fsm := testFSM(t)
		before := fsm.State()
		if err := fsm.Restore(io.NopCloser(bytes.NewReader(data))); err != nil {
			if fsm.State() != before {
				t.Fatalf("a refused snapshot (%v) replaced the state", err)
			}
			return
		}
		// Accepted: the restored state answers reads.
		if _, err := fsm.State().Nodes(nil); err != nil {
			t.Fatalf("restored state cannot list nodes: %v", err)
		}
	})
}
