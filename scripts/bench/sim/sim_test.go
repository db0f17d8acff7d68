package main

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestPercentile(t *testing.T) {
	if got := percentile(nil, 50); got != 0 {
		t.Fatalf("empty: got %v", got)
	}
	one := []time.Duration{ms(7)}
	for _, p := range []float64{0, 1, 50, 99, 100} {
		if got := percentile(one, p); got != ms(7) {
			t.Fatalf("one value, p%v: got %v", p, got)
		}
	}
	// 1..100 ms, shuffled: nearest rank gives exactly p ms.
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, ms(i))
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, ms(50)}, {99, ms(99)}, {100, ms(100)}, {1, ms(1)}, {0, ms(1)}, {99.5, ms(100)}} {
		if got := percentile(ds, c.p); got != c.want {
			t.Errorf("p%v of 1..100ms: got %v, want %v", c.p, got, c.want)
		}
	}
	// Small sets: p50 of 4 values is the 2nd, p99 the 4th.
	four := []time.Duration{ms(40), ms(10), ms(30), ms(20)}
	if got := percentile(four, 50); got != ms(20) {
		t.Errorf("p50 of 4: got %v", got)
	}
	if got := percentile(four, 99); got != ms(40) {
		t.Errorf("p99 of 4: got %v", got)
	}
}

func TestRate(t *testing.T) {
	if got := rate(5000, time.Second); got != 5000 {
		t.Fatalf("got %v", got)
	}
	if got := rate(10, 0); got != 0 {
		t.Fatalf("zero duration: got %v", got)
	}
}

func TestSplitBatch(t *testing.T) {
	in := []int{1, 2, 3, 4, 5}
	b, rest := splitBatch(in, 10)
	if len(b) != 5 || rest != nil {
		t.Fatalf("under max: batch %v rest %v", b, rest)
	}
	b, rest = splitBatch(in, 2)
	if len(b) != 2 || b[0] != 1 || b[1] != 2 || len(rest) != 3 || rest[0] != 3 {
		t.Fatalf("over max: batch %v rest %v", b, rest)
	}
	// Appending to the rest must not write into the batch's array, and
	// appending to the batch must not overwrite the rest.
	rest = append(rest, 6)
	b = append(b, 99)
	if in[2] != 3 || rest[0] != 3 {
		t.Fatalf("batch and rest share memory: in %v rest %v", in, rest)
	}
	b, rest = splitBatch([]int(nil), 3)
	if len(b) != 0 || len(rest) != 0 {
		t.Fatalf("empty: %v %v", b, rest)
	}
}

func TestJobCount(t *testing.T) {
	for _, c := range []struct{ allocs, size, n, last int }{
		{100_000, 1000, 100, 1000},
		{1500, 1000, 2, 500},
		{999, 1000, 1, 999},
		{0, 1000, 0, 0},
	} {
		n, last := jobCount(c.allocs, c.size)
		if n != c.n || last != c.last {
			t.Errorf("jobCount(%d, %d) = %d, %d; want %d, %d", c.allocs, c.size, n, last, c.n, c.last)
		}
	}
}

func TestHeartbeatInterval(t *testing.T) {
	for range 100 {
		d := heartbeatInterval(10 * time.Second)
		if d < 4500*time.Millisecond || d > 5500*time.Millisecond {
			t.Fatalf("interval %v outside half the TTL ±10%%", d)
		}
	}
	if d := heartbeatInterval(0); d <= 0 {
		t.Fatalf("zero TTL: %v", d)
	}
}

func TestParseKB(t *testing.T) {
	if got := parseKB("VmHWM:\t  123456 kB"); got != 123456*1024 {
		t.Fatalf("got %d", got)
	}
	if got := parseKB("VmHWM:"); got != 0 {
		t.Fatalf("got %d", got)
	}
}

func TestJobTracker(t *testing.T) {
	tr := newJobTracker()
	t0 := time.Unix(1000, 0)
	var done []string
	tr.onDone = func(id string) { done = append(done, id) }
	tr.submitted("a", 2, t0)
	tr.submitted("b", 1, t0.Add(time.Second))
	tr.placed("a", t0.Add(100*time.Millisecond))
	tr.placed("b", t0.Add(1500*time.Millisecond))
	tr.placed("a", t0.Add(3*time.Second))
	placed, first, last, lat, unfinished := tr.summary()
	if placed != 3 || !first.Equal(t0) || !last.Equal(t0.Add(3*time.Second)) || unfinished != 0 {
		t.Fatalf("summary: placed %d first %v last %v unfinished %d", placed, first, last, unfinished)
	}
	if len(lat) != 2 || percentile(lat, 100) != 3*time.Second || percentile(lat, 1) != 500*time.Millisecond {
		t.Fatalf("latencies %v", lat)
	}
	if len(done) != 2 || done[0] != "b" || done[1] != "a" {
		t.Fatalf("done callbacks %v", done)
	}
}

func TestAckerBatchesAndRetries(t *testing.T) {
	var (
		mu      sync.Mutex
		batches [][]*structs.AllocStatusUpdate
		fail    atomic.Bool
	)
	fail.Store(true)
	release := make(chan struct{})
	a := newAcker(3, func(ctx context.Context, b []*structs.AllocStatusUpdate) error {
		<-release
		if fail.CompareAndSwap(true, false) {
			return errors.New("boom")
		}
		mu.Lock()
		batches = append(batches, b)
		mu.Unlock()
		return nil
	})
	var sent atomic.Int64
	a.onSent = func(b []*structs.AllocStatusUpdate) { sent.Add(int64(len(b))) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wg := a.run(ctx, 1)
	now := time.Now()
	for _, id := range []string{"1", "2", "3", "4", "5", "6", "7"} {
		a.put(runningUpdate(id, "t", now))
	}
	close(release)
	deadline := time.Now().Add(60 * time.Second)
	for sent.Load() < 7 {
		if time.Now().After(deadline) {
			t.Fatalf("sent %d of 7", sent.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	seen := map[string]bool{}
	for _, b := range batches {
		if len(b) > 3 {
			t.Fatalf("batch of %d, max 3", len(b))
		}
		for _, u := range b {
			if seen[u.ID] {
				t.Fatalf("%s sent twice", u.ID)
			}
			seen[u.ID] = true
			if u.ClientStatus != structs.AllocClientRunning || u.TaskStates["t"].State != structs.TaskStateRunning {
				t.Fatalf("update %+v", u)
			}
		}
	}
	if len(seen) != 7 {
		t.Fatalf("delivered %d distinct updates", len(seen))
	}
}

func TestSubmitAll(t *testing.T) {
	var mu sync.Mutex
	got := map[int]bool{}
	err := submitAll(context.Background(), 4, 50, func(i int) error {
		mu.Lock()
		got[i] = true
		mu.Unlock()
		return nil
	})
	if err != nil || len(got) != 50 {
		t.Fatalf("err %v, submitted %d", err, len(got))
	}
	boom := errors.New("boom")
	err = submitAll(context.Background(), 2, 50, func(i int) error {
		if i == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-full"})
	if err != nil || o.allocs != 1_000_000 || o.nodes != 5000 {
		t.Fatalf("-full: %+v %v", o, err)
	}
	for _, bad := range [][]string{{"-servers", "2"}, {"-ack", "x"}, {"-nodes", "0"}} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}
