package command

import (
	"testing"
	"time"
)

// The governor goes to the runtime's default at once when connections
// pile up, and back to one P only after the count stayed low for
// procsHold, so a count hovering around the thresholds does not flap.
func TestProcsGovernorHysteresis(t *testing.T) {
	g := &procsGovernor{mode: procsOneP}
	t0 := time.Unix(1_000_000, 0)
	step := func(open int, at time.Duration, want int) {
		t.Helper()
		if got := g.next(open, t0.Add(at)); got != want {
			t.Fatalf("open %d at %v: mode %d, want %d", open, at, got, want)
		}
		g.mode = want
	}
	step(1, 0, procsOneP)
	step(procsMany, time.Second, procsOneP) // not over the threshold
	step(procsMany+1, 2*time.Second, procsDefault)
	step(procsFew+1, 3*time.Second, procsDefault) // between: keep
	step(procsFew, 4*time.Second, procsDefault)   // low, the hold starts
	step(0, 4*time.Second+procsHold-time.Millisecond, procsDefault)
	step(procsFew+1, 5*time.Second+procsHold, procsDefault) // up again: the hold restarts
	step(1, 6*time.Second+procsHold, procsDefault)
	step(1, 6*time.Second+2*procsHold, procsOneP)
	step(procsFew+1, 7*time.Second+2*procsHold, procsOneP) // between: keep one P
}
