package faults

import (
	"math"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

func reg(w int, key string, v int, start, end int64) Call {
	return Call{Worker: w, Agent: "s1", In: Input{Kind: Register, Key: key, V: v}, Start: start, End: end}
}

func read(w int, key string, seen State, start, end int64) Call {
	out := Output{State: seen, NotFound: !seen.Exists}
	return Call{Worker: w, Agent: "s2", In: Input{Kind: Read, Key: key}, Out: out, Start: start, End: end}
}

func check(t *testing.T, calls []Call) Result {
	t.Helper()
	return Check(calls, 10*time.Second)
}

// A good history of two jobs, with overlapping calls, a stop and a read of
// the absent job, is linearizable.
func TestCheckAcceptsLinearizableHistory(t *testing.T) {
	calls := []Call{
		read(0, "a", State{}, 0, 5),
		reg(0, "a", 1, 10, 20),
		read(1, "a", State{Exists: true, V: 1}, 15, 25), // concurrent with the write
		reg(1, "b", 7, 15, 30),
		read(0, "a", State{Exists: true, V: 1}, 21, 22),
		{Worker: 1, In: Input{Kind: Stop, Key: "a"}, Start: 40, End: 50},
		read(0, "a", State{Exists: true, V: 1, Stopped: true}, 51, 60),
		read(1, "b", State{Exists: true, V: 7}, 31, 35),
	}
	if res := check(t, calls); !res.OK() {
		t.Fatalf("a linearizable history was refused: %s", res)
	}
}

// The planted bug: a read (without ?stale) that returns the old value after
// a later write was acknowledged, as a deposed leader answering from its own
// state would. The checker must call it illegal.
func TestCheckCatchesReadOfOldValueAfterAckedWrite(t *testing.T) {
	calls := []Call{
		reg(0, "web", 1, 0, 10),
		read(1, "web", State{Exists: true, V: 1}, 11, 12),
		reg(0, "web", 2, 20, 30), // acknowledged at 30
		read(1, "web", State{Exists: true, V: 1}, 31, 40),
	}
	res := check(t, calls)
	if res.Verdict != porcupine.Illegal {
		t.Fatalf("a read of v1 after v2 was acknowledged passed the check: %s", res)
	}
	// And the same read concurrent with the write is fine.
	calls[3].Start = 25
	if res := check(t, calls); !res.OK() {
		t.Fatalf("a read concurrent with the write was refused: %s", res)
	}
}

// A lost acknowledged write: the job was registered and acknowledged, then
// a read finds it absent.
func TestCheckCatchesLostAckedWrite(t *testing.T) {
	calls := []Call{
		reg(0, "db", 3, 0, 10),
		read(1, "db", State{}, 20, 30),
	}
	if res := check(t, calls); res.Verdict != porcupine.Illegal {
		t.Fatalf("a lost acknowledged register passed: %s", res)
	}
}

// A write of unknown outcome may show up at any later time or never.
func TestCheckUnknownWriteMayOrMayNotApply(t *testing.T) {
	unknown := reg(0, "x", 5, 10, 0)
	unknown.Out.Unknown = true
	for _, seen := range []State{{}, {Exists: true, V: 5}} {
		calls := []Call{unknown, read(1, "x", seen, 100, 110)}
		if res := check(t, calls); !res.OK() {
			t.Fatalf("unknown register, then a read of %s: refused: %s", seen, res)
		}
	}
	// But once seen, it cannot disappear.
	calls := []Call{unknown, read(1, "x", State{Exists: true, V: 5}, 100, 110), read(1, "x", State{}, 120, 130)}
	if res := check(t, calls); res.Verdict != porcupine.Illegal {
		t.Fatalf("an unknown register seen and then gone passed: %s", res)
	}
}

// A stop acknowledged for a job the model says is absent is impossible; a
// stop answered "not found" for a job that exists is too.
func TestCheckStopAnswers(t *testing.T) {
	stopOK := Call{Worker: 0, In: Input{Kind: Stop, Key: "s"}, Start: 0, End: 5}
	if res := check(t, []Call{stopOK}); res.Verdict != porcupine.Illegal {
		t.Fatalf("an acknowledged stop of an absent job passed: %s", res)
	}
	stopNF := Call{Worker: 0, In: Input{Kind: Stop, Key: "s"}, Out: Output{NotFound: true}, Start: 20, End: 25}
	if res := check(t, []Call{reg(1, "s", 1, 0, 10), stopNF}); res.Verdict != porcupine.Illegal {
		t.Fatalf("a stop answered not found after an acknowledged register passed: %s", res)
	}
}

// Stale reads may lag, but a value nobody wrote (or wrote only after the
// read ended) is reported.
func TestCheckStaleReads(t *testing.T) {
	stale := func(seen State, start, end int64) Call {
		return Call{Worker: 2, Agent: "s3", In: Input{Kind: StaleRead, Key: "k"}, Out: Output{State: seen}, Start: start, End: end}
	}
	calls := []Call{
		reg(0, "k", 1, 0, 10),
		reg(0, "k", 2, 20, 30),
		stale(State{Exists: true, V: 1}, 40, 50), // lagging: allowed
	}
	if res := check(t, calls); !res.OK() || res.StaleReads != 1 {
		t.Fatalf("a lagging stale read was refused: %s", res)
	}
	calls = append(calls, stale(State{Exists: true, V: 9}, 40, 50), stale(State{Exists: true, V: 2}, 5, 15))
	res := check(t, calls)
	if res.OK() || len(res.StaleBad) != 2 {
		t.Fatalf("stale reads of unwritten values passed: %s", res)
	}
}

func TestRecorderUnknownHasNoEnd(t *testing.T) {
	r := NewRecorder()
	r.Add(Call{In: Input{Kind: Register, Key: "a", V: 1}, Out: Output{Unknown: true}, Start: r.Now(), End: r.Now()})
	if c := r.Calls(); len(c) != 1 || c[0].End != math.MaxInt64 {
		t.Fatalf("recorded %+v, want one call with no end", c)
	}
}
