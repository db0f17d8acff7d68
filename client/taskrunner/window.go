package taskrunner

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// TaskEventWaitingWindow is the event of a task that waits for its daily
// window to open.
const TaskEventWaitingWindow = "Waiting"

// maxWindowSleep bounds one sleep while waiting for the window, so that a
// change of the wall clock (NTP step, manual set) is noticed in time.
const maxWindowSleep = time.Minute

// Clock is the time source of the daily window logic; tests inject a fake
// one to drive a window without waiting for it.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// waitForWindow blocks until the task's daily window is open (at once
// without a window). It returns false when the runner must end instead:
// killed (the task is then dead) or detached.
func (tr *TaskRunner) waitForWindow() bool {
	w := tr.task.DailyWindow
	if w == nil {
		return true
	}
	for {
		now := tr.clock.Now()
		in, err := w.Contains(now)
		if err != nil { // validated on submit; a bad zone here means the node lacks tzdata
			tr.logger.Error("daily window unusable; starting the task anyway", "error", err)
			return true
		}
		if in {
			tr.update(func(s *structs.TaskState) { s.NextStart = 0 })
			return true
		}
		open, err := w.NextOpen(now)
		if err != nil {
			tr.logger.Error("daily window unusable; starting the task anyway", "error", err)
			return true
		}
		tr.setWaiting(open)
		select {
		case <-tr.clock.After(min(open.Sub(now), maxWindowSleep)):
		case <-tr.killCh:
			tr.update(func(s *structs.TaskState) { s.NextStart = 0 })
			tr.setDead(false, newEvent(structs.TaskEventKilled, "Task killed while waiting for its daily window: "+tr.killReason))
			return false
		case <-tr.detachCh:
			return false
		case r := <-tr.restartCh:
			// Nothing runs to restart; the task starts when the window opens.
			tr.logger.Info("restart request ignored while waiting for the daily window", "reason", r)
		}
	}
}

// setWaiting marks the task pending until open, with an event; nothing
// changes (and nothing is reported) when it says so already.
func (tr *TaskRunner) setWaiting(open time.Time) {
	tr.mu.Lock()
	same := tr.state.State == structs.TaskStatePending && tr.state.NextStart == open.UnixNano()
	tr.mu.Unlock()
	if same {
		return
	}
	msg := fmt.Sprintf("Waiting for daily window (opens at %s)", open.Format(time.RFC3339))
	tr.logger.Info("waiting for daily window", "opens", open)
	tr.update(func(s *structs.TaskState) {
		s.State = structs.TaskStatePending
		s.NextStart = open.UnixNano()
		if n := len(s.Events); n == 0 || s.Events[n-1].Message != msg {
			s.AddEvent(newEvent(TaskEventWaitingWindow, msg))
		}
	})
}

// windowCloseCh fires when the running task's daily window closes: at
// once when it is closed already, never without a window.
func (tr *TaskRunner) windowCloseCh() <-chan time.Time {
	w := tr.task.DailyWindow
	if w == nil {
		return nil
	}
	now := tr.clock.Now()
	in, err := w.Contains(now)
	if err != nil {
		return nil
	}
	if !in {
		ch := make(chan time.Time, 1)
		ch <- now
		return ch
	}
	cls, err := w.NextClose(now)
	if err != nil {
		return nil
	}
	return tr.clock.After(cls.Sub(now))
}
