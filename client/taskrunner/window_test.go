package taskrunner

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// windowClock is a Clock moved by hand. After registers a waiter that fires
// once Advance reaches its deadline (at once when already due).
type windowClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []windowWaiter
}

type windowWaiter struct {
	at time.Time
	ch chan time.Time
}

func (c *windowClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *windowClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	at := c.now.Add(d)
	if !at.After(c.now) {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, windowWaiter{at: at, ch: ch})
	return ch
}

// Advance sets the time and fires every waiter that is due.
func (c *windowClock) Advance(to time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = to
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(to) {
			kept = append(kept, w)
			continue
		}
		w.ch <- to
	}
	c.waiters = kept
}

// pending is the number of waiters not fired yet.
func (c *windowClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

func countEvents(s *structs.TaskState, typ string) int {
	n := 0
	for _, e := range s.Events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// The runner waits for the window, starts the task when it opens, stops
// it when it closes and starts it again on the next day, all driven by a
// fake clock.
func TestTaskRunner_DailyWindowFakeClock(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatalf("tzdata needed for this test: %v", err)
	}
	day1 := time.Date(2026, 6, 1, 8, 59, 0, 0, berlin)
	open1 := time.Date(2026, 6, 1, 9, 0, 0, 0, berlin)
	close1 := time.Date(2026, 6, 1, 9, 30, 0, 0, berlin)
	open2 := open1.AddDate(0, 0, 1)
	fc := &windowClock{now: day1}
	tr, _ := newRunner(t, `exec sleep 600`)
	tr.clock = fc
	tr.task.DailyWindow = &structs.DailyWindow{Start: "09:00", End: "09:30", TimeZone: "Europe/Berlin"}
	runAsync(t, tr)

	waitUntil(t, "waiting for the first opening", func() bool {
		s := tr.State()
		return s.State == structs.TaskStatePending && s.NextStart == open1.UnixNano() && fc.pending() == 1
	})
	if ev := hasEvent(tr.State(), TaskEventWaitingWindow); ev == nil || !strings.Contains(ev.Message, "Waiting for daily window (opens at 2026-06-01T09:00:00+02:00)") {
		t.Fatalf("want a Waiting event naming the opening, got %+v", tr.State().Events)
	}
	fc.Advance(open1)
	waitUntil(t, "start at the opening", func() bool {
		s := tr.State()
		return s.State == structs.TaskStateRunning && s.Starts == 1 && s.NextStart == 0 && fc.pending() == 1
	})
	fc.Advance(close1)
	waitUntil(t, "stop at the close, then wait for the next day", func() bool {
		s := tr.State()
		return s.State == structs.TaskStatePending && s.NextStart == open2.UnixNano() && fc.pending() == 1
	})
	s := tr.State()
	if s.Restarts != 0 || s.Failed || hasEvent(s, structs.TaskEventKilling) == nil || hasEvent(s, structs.TaskEventTerminated) == nil {
		t.Fatalf("want a normal stop (Killing, Terminated), no restart counted: %+v", s)
	}
	if s.FinishedAt == 0 || s.ExitCode == nil {
		t.Fatalf("want the stop recorded (finished_at, exit_code): %+v", s)
	}
	fc.Advance(open2)
	waitUntil(t, "start again on the next day", func() bool {
		s := tr.State()
		return s.State == structs.TaskStateRunning && s.Starts == 2
	})
	if n := countEvents(tr.State(), TaskEventWaitingWindow); n != 2 {
		t.Fatalf("want two Waiting events, got %d", n)
	}
	var last *structs.TaskEvent
	for _, e := range tr.State().Events {
		if e.Type == TaskEventWaitingWindow {
			last = e
		}
	}
	if !strings.Contains(last.Message, "opens at 2026-06-02T09:00:00+02:00") {
		t.Fatalf("want the second Waiting event to name the next day's opening, got %q", last.Message)
	}
}

// A kill while waiting for the window ends the task without starting it.
func TestTaskRunner_DailyWindowKillWhileWaiting(t *testing.T) {
	fc := &windowClock{now: time.Date(2026, 6, 1, 20, 0, 0, 0, time.UTC)}
	tr, _ := newRunner(t, `exec sleep 600`)
	tr.clock = fc
	tr.task.DailyWindow = &structs.DailyWindow{Start: "09:00", End: "18:00"}
	go tr.Run()
	waitUntil(t, "waiting for the window", func() bool { return fc.pending() == 1 })
	tr.Kill("test")
	waitDone(t, tr, 60*time.Second)
	s := tr.State()
	if s.State != structs.TaskStateDead || s.Failed || s.Starts != 0 || s.NextStart != 0 {
		t.Fatalf("want dead, never started, no next start: %+v", s)
	}
	if ev := hasEvent(s, structs.TaskEventKilled); ev == nil || !strings.Contains(ev.Message, "waiting for its daily window") {
		t.Fatalf("want a Killed event while waiting: %+v", s.Events)
	}
}

// The wall clock: a window that opens about 2 s from now and closes 2 s
// later starts the task and stops it again.
func TestTaskRunner_DailyWindowWallClock(t *testing.T) {
	open := time.Now().UTC().Truncate(time.Second).Add(2 * time.Second)
	cls := open.Add(2 * time.Second)
	tr, _ := newRunner(t, `exec sleep 600`)
	tr.task.DailyWindow = &structs.DailyWindow{Start: open.Format("15:04:05"), End: cls.Format("15:04:05")}
	runAsync(t, tr)
	waitUntil(t, "pending with a next start", func() bool {
		s := tr.State()
		return s.State == structs.TaskStatePending && s.NextStart == open.UnixNano()
	})
	waitUntil(t, "running inside the window", func() bool { return tr.State().State == structs.TaskStateRunning })
	if now := time.Now(); now.Before(open) {
		t.Fatalf("started at %s, before the window opened at %s", now, open)
	}
	waitUntil(t, "stopped after the close, waiting for tomorrow", func() bool {
		s := tr.State()
		return s.State == structs.TaskStatePending && s.NextStart == open.Add(24*time.Hour).UnixNano()
	})
	s := tr.State()
	if s.Starts != 1 || s.StartedAt < open.UnixNano() || s.FinishedAt < cls.UnixNano() {
		t.Fatalf("want one start inside the window and the stop after its close: %+v", s)
	}
	if hasEvent(s, structs.TaskEventKilling) == nil {
		t.Fatalf("want a Killing event from the close: %+v", s.Events)
	}
}

// set moves the time without firing waiters: time passed but the runner's
// close timer has not fired yet.
func (c *windowClock) set(to time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = to
}

// A task that crashes and whose restart falls outside the window waits for
// the next opening instead of starting.
func TestTaskRunner_DailyWindowRestartOutsideWaits(t *testing.T) {
	open1 := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	fc := &windowClock{now: open1.Add(time.Minute)}
	tr, dir := newRunner(t, `while [ ! -f "$APPMESH_TASK_DIR/crash" ]; do sleep 0.02; done; exit 1`)
	tr.clock = fc
	tr.task.DailyWindow = &structs.DailyWindow{Start: "09:00", End: "09:30"}
	attempts := 5
	tr.restarts = newRestartTracker(&structs.RestartPolicy{Attempts: &attempts, Interval: structs.Duration(time.Hour), Mode: structs.RestartModeFail}, structs.JobTypeService, false)
	runAsync(t, tr)
	waitUntil(t, "running inside the window", func() bool { return tr.State().State == structs.TaskStateRunning })
	fc.set(open1.Add(time.Hour)) // 10:00, window closed
	if err := os.WriteFile(dir.TaskDir("web")+"/crash", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "waiting for the next opening after the crash", func() bool {
		s := tr.State()
		return s.State == structs.TaskStatePending && s.NextStart == open1.AddDate(0, 0, 1).UnixNano()
	})
	s := tr.State()
	if s.Starts != 1 || s.Restarts != 1 || s.ExitCode == nil || *s.ExitCode != 1 {
		t.Fatalf("want one start, one restart decided, exit 1: %+v", s)
	}
}
