// Package testutil holds helpers shared by the tests of every package.
// It is imported only from _test.go files and test programs (scripts/faults).
package testutil

import (
	"fmt"
	"testing"
	"time"
)

// DefaultTimeout bounds a wait when the caller names none. It is generous
// on purpose: it only keeps a broken test from hanging, and a loaded 2-core
// CI machine must never hit it while the condition is on its way to holding.
const DefaultTimeout = 60 * time.Second

// Wait polls a condition until it holds. The zero value waits up to
// DefaultTimeout. Tests assert outcomes with it, never durations.
type Wait struct {
	// Timeout is how long to wait before failing the test; 0 means DefaultTimeout.
	Timeout time.Duration
	// Dump, when set, adds its output (logs, state) to the failure message.
	Dump func() string
}

// ForState polls cond until it reports ok, and otherwise fails the test
// with what and the last state cond reported.
func (w Wait) ForState(t testing.TB, what string, cond func() (ok bool, state string)) {
	t.Helper()
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	deadline := time.Now().Add(timeout)
	// Start fast so a condition that is nearly true costs little, then back
	// off so a long wait does not steal the CPU from what it waits for.
	interval := 5 * time.Millisecond
	var state string
	for {
		var ok bool
		if ok, state = cond(); ok {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(interval)
		if interval < 100*time.Millisecond {
			interval *= 2
		}
	}
	msg := fmt.Sprintf("timed out after %v waiting for %s", timeout, what)
	if state != "" {
		msg += "; last state: " + state
	}
	if w.Dump != nil {
		msg += "\n" + w.Dump()
	}
	t.Fatal(msg)
}

// For polls cond until it holds.
func (w Wait) For(t testing.TB, what string, cond func() bool) {
	t.Helper()
	w.ForState(t, what, func() (bool, string) { return cond(), "" })
}

// ForErr polls cond until it returns nil; the last error is the state.
func (w Wait) ForErr(t testing.TB, what string, cond func() error) {
	t.Helper()
	w.ForState(t, what, func() (bool, string) {
		if err := cond(); err != nil {
			return false, err.Error()
		}
		return true, ""
	})
}

// WaitFor polls cond until it holds, for up to DefaultTimeout.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	Wait{}.For(t, what, cond)
}

// WaitForState polls cond until it reports ok, for up to DefaultTimeout;
// a failure shows the last state cond reported.
func WaitForState(t testing.TB, what string, cond func() (ok bool, state string)) {
	t.Helper()
	Wait{}.ForState(t, what, cond)
}
