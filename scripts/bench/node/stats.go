package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// percentile returns the q-quantile (0 < q <= 1) of ds by the nearest-rank
// method: the smallest sample such that at least q of all samples are at or
// below it. p50 of 50 samples is the 25th smallest, p99 the 50th (the worst).
// It returns 0 for no samples.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(q * float64(len(s))))
	rank = min(max(rank, 1), len(s))
	return s[rank-1]
}

// maxDuration returns the largest sample, 0 for none.
func maxDuration(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return slices.Max(ds)
}

// medianInt64 returns the middle of vs (the lower middle for an even count).
func medianInt64(vs []int64) int64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// fmtDur prints a duration the way the report wants it: milliseconds with
// one decimal below ten seconds, seconds with two decimals above.
func fmtDur(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// fmtMB prints a size given in kB (KiB, as /proc reports it) as MB (MiB).
func fmtMB(kB int64) string {
	return fmt.Sprintf("%.1f MB", float64(kB)/1024)
}

// fmtDurs lists samples compactly, for the detail lines.
func fmtDurs(ds []time.Duration) string {
	out := ""
	for i, d := range ds {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprintf("%.0f", float64(d)/float64(time.Millisecond))
	}
	return out + " ms"
}
