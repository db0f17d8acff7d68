package faults

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// Call is one recorded call: who made it, through which agent, what it
// asked and answered, and when it started and ended (nanoseconds since the
// recorder's start). An Unknown output has End = math.MaxInt64.
type Call struct {
	Worker int
	Agent  string
	In     Input
	Out    Output
	Start  int64
	End    int64
	Err    string // why the outcome is unknown
}

// Recorder collects the calls of concurrent workers.
type Recorder struct {
	t0    time.Time
	mu    sync.Mutex
	calls []Call
}

// NewRecorder starts the clock of a history.
func NewRecorder() *Recorder { return &Recorder{t0: time.Now()} }

// Now is the time since the recorder started, in nanoseconds.
func (r *Recorder) Now() int64 { return int64(time.Since(r.t0)) }

// Add records a finished call; a call whose outcome is unknown is given no
// end (it may take effect at any time after its start).
func (r *Recorder) Add(c Call) {
	if c.Out.Unknown {
		c.End = math.MaxInt64
	}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
}

// Calls returns a copy of the history so far.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// Result is the verdict on a history.
type Result struct {
	Ops        int // calls in the linearizability check
	StaleReads int // ?stale reads checked by CheckStale
	Unknown    int // calls whose outcome was unknown
	Verdict    porcupine.CheckResult
	Info       porcupine.LinearizationInfo
	StaleBad   []string // ?stale reads that saw a value nobody wrote
}

// OK reports a history proven linearizable with sane stale reads.
func (r Result) OK() bool { return r.Verdict == porcupine.Ok && len(r.StaleBad) == 0 }

func (r Result) String() string {
	s := fmt.Sprintf("%d operations checked for linearizability (%d of unknown outcome): %s; %d stale reads checked",
		r.Ops, r.Unknown, r.Verdict, r.StaleReads)
	if len(r.StaleBad) > 0 {
		s += fmt.Sprintf(", %d impossible: %s", len(r.StaleBad), strings.Join(r.StaleBad, "; "))
	}
	return s
}

// Check checks a history: the linearizable calls against the model (within
// timeout; a search that runs out of time gives porcupine.Unknown, which is
// not OK), and the ?stale reads with CheckStale.
func Check(calls []Call, timeout time.Duration) Result {
	var res Result
	var ops []porcupine.Operation
	for _, c := range calls {
		if c.In.Kind == StaleRead {
			continue
		}
		if c.In.Kind == Read && c.Out.Unknown {
			continue // a failed read says nothing
		}
		if c.Out.Unknown {
			res.Unknown++
			c.End = math.MaxInt64
		}
		ops = append(ops, porcupine.Operation{ClientId: c.Worker, Input: c.In, Output: c.Out,
			Call: c.Start, Return: c.End, Metadata: c.Agent})
	}
	res.Ops = len(ops)
	res.Verdict, res.Info = porcupine.CheckOperationsVerbose(Model(), ops, timeout)
	res.StaleReads, res.StaleBad = CheckStale(calls)
	return res
}

// CheckStale checks the ?stale reads, which may lag but must never invent:
// every version a stale read saw was written by a register that started
// before the read ended, and a stopped job was stopped by a call that
// started before the read ended.
func CheckStale(calls []Call) (n int, bad []string) {
	regStart := map[string]map[int]int64{} // key -> v -> start of its register
	stopStart := map[string][]int64{}
	for _, c := range calls {
		switch c.In.Kind {
		case Register:
			if regStart[c.In.Key] == nil {
				regStart[c.In.Key] = map[int]int64{}
			}
			regStart[c.In.Key][c.In.V] = c.Start
		case Stop:
			stopStart[c.In.Key] = append(stopStart[c.In.Key], c.Start)
		}
	}
	for k := range stopStart {
		sort.Slice(stopStart[k], func(i, j int) bool { return stopStart[k][i] < stopStart[k][j] })
	}
	for _, c := range calls {
		if c.In.Kind != StaleRead || c.Out.Unknown {
			continue
		}
		n++
		if c.Out.NotFound || !c.Out.Exists {
			continue
		}
		start, ok := regStart[c.In.Key][c.Out.V]
		if !ok || start > c.End {
			bad = append(bad, fmt.Sprintf("%s via %s saw v%d, which no register before it wrote", c.In.Key, c.Agent, c.Out.V))
			continue
		}
		if c.Out.Stopped {
			stops := stopStart[c.In.Key]
			if len(stops) == 0 || stops[0] > c.End {
				bad = append(bad, fmt.Sprintf("%s via %s saw it stopped before any stop was sent", c.In.Key, c.Agent))
			}
		}
	}
	return n, bad
}

// Visualize writes porcupine's HTML view of a checked history to path.
func Visualize(res Result, path string) error {
	return porcupine.VisualizePath(Model(), res.Info, path)
}
