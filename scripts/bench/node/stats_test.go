package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func ms(vs ...int) []time.Duration {
	out := make([]time.Duration, len(vs))
	for i, v := range vs {
		out[i] = time.Duration(v) * time.Millisecond
	}
	return out
}

func TestPercentileNearestRank(t *testing.T) {
	// 1..50 ms shuffled: p50 is the 25th smallest, p99 the 50th.
	var fifty []time.Duration
	for i := 50; i >= 1; i-- {
		fifty = append(fifty, time.Duration(i)*time.Millisecond)
	}
	cases := []struct {
		name string
		in   []time.Duration
		q    float64
		want time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one", ms(7), 0.5, 7 * time.Millisecond},
		{"one p99", ms(7), 0.99, 7 * time.Millisecond},
		{"two p50 is the lower", ms(9, 3), 0.5, 3 * time.Millisecond},
		{"odd p50 is the middle", ms(5, 1, 3), 0.5, 3 * time.Millisecond},
		{"fifty p50", fifty, 0.5, 25 * time.Millisecond},
		{"fifty p99", fifty, 0.99, 50 * time.Millisecond},
		{"fifty p90", fifty, 0.9, 45 * time.Millisecond},
		{"twenty p99 is the worst", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20), 0.99, 20 * time.Millisecond},
		{"q=1 is the max", ms(4, 8, 1), 1, 8 * time.Millisecond},
		{"tiny q is the min", ms(4, 8, 1), 0.0001, time.Millisecond},
	}
	for _, c := range cases {
		if got := percentile(c.in, c.q); got != c.want {
			t.Errorf("%s: percentile(%v, %v) = %v, want %v", c.name, c.in, c.q, got, c.want)
		}
	}
}

func TestPercentileLeavesInputAlone(t *testing.T) {
	in := ms(3, 1, 2)
	percentile(in, 0.5)
	if !slices.Equal(in, ms(3, 1, 2)) {
		t.Fatalf("percentile sorted its input: %v", in)
	}
}

func TestMaxAndMedian(t *testing.T) {
	if got := maxDuration(ms(3, 9, 1)); got != 9*time.Millisecond {
		t.Errorf("maxDuration = %v", got)
	}
	if got := maxDuration(nil); got != 0 {
		t.Errorf("maxDuration(nil) = %v", got)
	}
	if got := medianInt64([]int64{30, 10, 20}); got != 20 {
		t.Errorf("median of 3 = %d", got)
	}
	if got := medianInt64([]int64{40, 10, 30, 20}); got != 20 {
		t.Errorf("median of 4 = %d, want the lower middle 20", got)
	}
	if got := medianInt64(nil); got != 0 {
		t.Errorf("median of none = %d", got)
	}
}

func TestFormatting(t *testing.T) {
	cases := map[string]string{
		fmtDur(12345 * time.Microsecond): "12.3 ms",
		fmtDur(1500 * time.Millisecond):  "1500.0 ms",
		fmtDur(12 * time.Second):         "12.00 s",
		fmtMB(30 * 1024):                 "30.0 MB",
		fmtMB(1536):                      "1.5 MB",
		fmtDurs(ms(12, 7)):               "12 7 ms",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestParseMountsUnder(t *testing.T) {
	info := strings.Join([]string{
		`22 1 0:21 / / rw,relatime - ext4 /dev/vda rw`,
		`30 22 0:25 / /tmp/bench-1/dev/alloc/bin ro - ext4 /dev/vda ro`,
		`31 22 0:26 / /tmp/bench-10 rw - tmpfs tmpfs rw`,
		`32 22 0:27 / /tmp/bench-1/with\040space rw - tmpfs tmpfs rw`,
		`33 22 0:28 / /tmp/bench-1 rw - tmpfs tmpfs rw`,
	}, "\n")
	got := parseMountsUnder(info, "/tmp/bench-1/")
	want := []string{"/tmp/bench-1/dev/alloc/bin", "/tmp/bench-1/with space", "/tmp/bench-1"}
	if !slices.Equal(got, want) {
		t.Fatalf("parseMountsUnder = %q, want %q", got, want)
	}
	if got := parseMountsUnder(info, "/var"); len(got) != 0 {
		t.Fatalf("mounts under /var: %q", got)
	}
}

func TestWithJoinReplacesJoin(t *testing.T) {
	a := &agent{args: []string{"agent", "-server", "-join", "127.0.0.1:1", "-node", "s2"}}
	got := a.withJoin("127.0.0.1:2")
	want := []string{"agent", "-server", "-node", "s2", "-join", "127.0.0.1:2"}
	if !slices.Equal(got, want) {
		t.Fatalf("withJoin = %q, want %q", got, want)
	}
	if got := a.withJoin(""); slices.Contains(got, "-join") {
		t.Fatalf("withJoin(\"\") kept a -join: %q", got)
	}
}

func TestTaskResourcesFit(t *testing.T) {
	var n node
	n.Resources.CPU, n.Resources.Memory = 5192, 24105
	cpu, mem := taskResources(n, 1000)
	if cpu < 1 || mem < 4 || cpu*1000 > n.Resources.CPU || mem*1000 > n.Resources.Memory {
		t.Fatalf("taskResources(1000) = %d MHz, %d MB: does not fit %+v", cpu, mem, n.Resources)
	}
	cpu, mem = taskResources(n, 1)
	if cpu != 100 || mem != 64 {
		t.Fatalf("taskResources(1) = %d, %d; want the caps 100, 64", cpu, mem)
	}
}

func TestMarkersAreUniqueAndShareTheRunPrefix(t *testing.T) {
	b := &bench{nonce: "123456789"}
	m1, m2 := b.marker(), b.marker()
	if m1 == m2 || strings.Contains(m2, m1) || strings.Contains(m1, m2) {
		t.Fatalf("markers %q and %q are not distinct substrings", m1, m2)
	}
	for _, m := range []string{m1, m2} {
		if !strings.HasPrefix(m, b.runMarker()) {
			t.Fatalf("marker %q lacks the run prefix %q", m, b.runMarker())
		}
	}
}
