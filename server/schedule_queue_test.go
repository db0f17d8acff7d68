package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// After the first full pass, a change to one job steps that job (and its
// parent), not every job; a periodic job's next tick sits in the due
// queue and is stepped when it comes.
func TestSchedules_AChangeStepsOnlyTheJobsItTouched(t *testing.T) {
	s := testServer(t, nil)
	for i := range 300 {
		registerJob(t, s, testJob(fmt.Sprintf("plain-%03d", i), 0, 64))
	}
	cron := testJob("cron", 1, 64)
	cron.Type = structs.JobTypeBatch
	cron.Periodic = &structs.PeriodicConfig{Interval: structs.Duration(time.Hour)}
	registerJob(t, s, cron)

	st := s.State()
	// The registrations' evaluations complete (each a change of its job)
	// before the change under test.
	waitFor(t, "every evaluation processed", func() bool {
		evals, err := st.Evals(nil)
		if err != nil {
			return false
		}
		for _, e := range evals {
			if !e.TerminalStatus() {
				return false
			}
		}
		ready, unacked, waiting := s.broker.Stats()
		return ready+unacked+waiting == 0
	})
	t0 := time.Now()
	r := newScheduleRunner(s, func() time.Time { return t0 })
	r.pass(nil)
	if r.steps < 301 || r.queue.len() != 1 {
		t.Fatalf("full pass stepped %d jobs and queued %d, want all 301 stepped and only the periodic job queued", r.steps, r.queue.len())
	}
	r.steps = 0
	_, seen, _, _ := st.JobChangesSince(0)
	var reply structs.JobDeregisterResponse // one job changes: it is stopped
	if err := s.RPC(structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: "plain-007"}, &reply); err != nil {
		t.Fatal(err)
	}
	changes, next, complete, _ := st.JobChangesSince(seen)
	if !complete || next <= seen || len(changes) == 0 {
		t.Fatalf("change log: %d changes, complete=%v, next=%d after %d", len(changes), complete, next, seen)
	}
	r.stepChanged(st, changes)
	if r.steps > 2 {
		t.Fatalf("one job changed and %d jobs were stepped", r.steps)
	}
	// Nothing is due before the tick; at the tick the periodic job runs.
	r.steps = 0
	r.stepDue(st)
	if r.steps != 0 {
		t.Fatalf("%d jobs stepped before anything was due", r.steps)
	}
	at, ok := r.queue.peek()
	if !ok {
		t.Fatal("periodic job not queued")
	}
	r.now = func() time.Time { return at }
	r.stepDue(st)
	if r.steps != 1 {
		t.Fatalf("%d jobs stepped at the periodic job's tick, want 1", r.steps)
	}
	waitFor(t, "the tick launched a child", func() bool { return len(children(t, s, "cron")) == 1 })
}

func TestDueQueue_OrderAndUpdates(t *testing.T) {
	q := newDueQueue()
	base := time.Unix(1000, 0)
	a, b, c := jobKey{"default", "a"}, jobKey{"default", "b"}, jobKey{"default", "c"}
	q.set(a, base.Add(3*time.Second))
	q.set(b, base.Add(1*time.Second))
	q.set(c, base.Add(2*time.Second))
	q.set(b, base.Add(5*time.Second)) // moved later
	q.set(c, time.Time{})             // dropped
	if got := q.popDue(base.Add(4 * time.Second)); len(got) != 1 || got[0] != a {
		t.Fatalf("due at +4s: %v, want [a]", got)
	}
	if got := q.popDue(base.Add(10 * time.Second)); len(got) != 1 || got[0] != b || q.len() != 0 {
		t.Fatalf("due at +10s: %v (left %d), want [b] and nothing left", got, q.len())
	}
}
