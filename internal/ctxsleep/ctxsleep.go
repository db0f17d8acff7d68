// Package ctxsleep waits out a delay unless a context ends first: the one
// sleep every retry loop, poller and back-off of the agent uses, so that a
// stopping agent never waits out a timer.
package ctxsleep

import (
	"context"
	"time"
)

// Sleep waits d or until ctx ends; it reports whether the whole delay
// passed (false: ctx ended, stop).
func Sleep(ctx context.Context, d time.Duration) bool {
	return SleepOrWake(ctx, d, nil)
}

// SleepOrWake is Sleep that also ends early, reporting true, when wake is
// closed or receives (a nil wake never does).
func SleepOrWake(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	case <-wake:
		return true
	}
}
