package main

import (
	"slices"
	"time"
)

// latencies summarises request durations. Every sample is kept (a 10 s run
// is at most a few million of them), so the percentiles are exact rather
// than bucketed.
type latencies struct {
	N   int           `json:"n"`
	P50 time.Duration `json:"p50_ns"`
	P90 time.Duration `json:"p90_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

func summarise(samples []time.Duration) latencies {
	if len(samples) == 0 {
		return latencies{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return latencies{
		N:   len(s),
		P50: percentile(s, 0.50),
		P90: percentile(s, 0.90),
		P99: percentile(s, 0.99),
		Max: s[len(s)-1],
	}
}

// percentile of sorted samples by the nearest-rank method: the smallest
// sample with at least p of all samples at or below it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p*float64(len(sorted)) + 0.999999999)
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

// fmtDur prints a latency in µs with a precision that suits a table.
func fmtDur(d time.Duration) string {
	us := float64(d) / float64(time.Microsecond)
	switch {
	case us < 0:
		return "-" + fmtDur(-d)
	case us < 10:
		return trimFloat(us, 2) + "µs"
	case us < 1000:
		return trimFloat(us, 0) + "µs"
	default:
		return trimFloat(us/1000, 2) + "ms"
	}
}
