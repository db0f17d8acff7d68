package structs

import (
	"testing"
	"time"
)

func TestNextDelay(t *testing.T) {
	events := func(n int) *RescheduleTracker {
		tr := &RescheduleTracker{}
		for i := 0; i < n; i++ {
			tr.Events = append(tr.Events, &RescheduleEvent{})
		}
		return tr
	}
	year := 365 * 24 * time.Hour
	for _, tc := range []struct {
		name string
		p    ReschedulePolicy
		prev int
		want time.Duration
	}{
		{"constant", ReschedulePolicy{Delay: Duration(5 * time.Second), DelayFunction: DelayFunctionConstant}, 3, 5 * time.Second},
		{"exponential", ReschedulePolicy{Delay: Duration(time.Second), DelayFunction: DelayFunctionExponential, MaxDelay: Duration(time.Hour)}, 3, 8 * time.Second},
		{"exponential capped", ReschedulePolicy{Delay: Duration(time.Second), DelayFunction: DelayFunctionExponential, MaxDelay: Duration(time.Minute)}, 40, time.Minute},
		{"fibonacci", ReschedulePolicy{Delay: Duration(time.Second), DelayFunction: DelayFunctionFibonacci, MaxDelay: Duration(time.Hour)}, 5, 8 * time.Second},
		// A delay beyond the one-year bound must not overflow when grown.
		{"huge exponential", ReschedulePolicy{Delay: Duration(200 * year), DelayFunction: DelayFunctionExponential}, 1, year},
		{"huge fibonacci", ReschedulePolicy{Delay: Duration(200 * year), DelayFunction: DelayFunctionFibonacci}, 2, year},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.NextDelay(events(tc.prev)); got != tc.want {
				t.Fatalf("NextDelay after %d reschedules = %s, want %s", tc.prev, got, tc.want)
			}
		})
	}
}
