package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// raftWatch samples every server's /v1/metrics during a -procs run and
// keeps what tells whether the cluster held one leader: the Raft term,
// the leader-change counter, which server called itself leader at each
// sample, how long followers went without hearing from the leader, and
// the longest garbage-collection pause.
type raftWatch struct {
	pc    *procCluster
	every time.Duration

	mu    sync.Mutex
	stats []*serverWatch
}

// serverWatch is what one server's samples showed.
type serverWatch struct {
	name              string
	samples, failures int
	first, last       metricSample // first and last good sample
	leaderSamples     int          // samples in which this server led
	maxLastContact    float64      // seconds; followers only
	maxGCPause        float64      // seconds, go_gc_duration_seconds{quantile="1"}
	maxScrape         time.Duration
	firstErr          string
}

// metricSample is the part of a scrape the watch needs.
type metricSample struct {
	ok            bool
	leader        bool
	term          float64
	leaderChanges float64
	lastContact   float64
	gcPause       float64
	applySum      float64 // appmesh_raft_apply_seconds, all entry types
	applyCount    float64
	allocsRunning float64
	allocsTotal   float64
	// Goroutine scheduling waits (go_sched_latencies_seconds): all, and
	// those longer than about 10 ms and 117 ms (the histogram's buckets).
	schedCount, schedOver10ms, schedOver117ms float64
}

func newRaftWatch(pc *procCluster, every time.Duration) *raftWatch {
	w := &raftWatch{pc: pc, every: every}
	for _, ps := range pc.servers {
		w.stats = append(w.stats, &serverWatch{name: ps.name})
	}
	return w
}

// run samples until ctx ends; the caller owns ctx and waits on the
// returned function.
func (w *raftWatch) run(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	for i := range w.pc.servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(w.every)
			defer t.Stop()
			for {
				w.sampleOne(ctx, i)
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	return wg.Wait
}

// sampleOne scrapes server i once and folds the sample into its stats.
func (w *raftWatch) sampleOne(ctx context.Context, i int) {
	ps := w.pc.servers[i]
	t0 := time.Now()
	s, err := w.scrape(ctx, ps.httpURL)
	took := time.Since(t0)
	if ctx.Err() != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	st := w.stats[i]
	st.samples++
	st.maxScrape = max(st.maxScrape, took)
	if err != nil {
		st.failures++
		if st.firstErr == "" {
			st.firstErr = err.Error()
		}
		return
	}
	if !st.first.ok {
		st.first = s
	}
	st.last = s
	if s.leader {
		st.leaderSamples++
	} else {
		st.maxLastContact = max(st.maxLastContact, s.lastContact)
	}
	st.maxGCPause = max(st.maxGCPause, s.gcPause)
}

func (w *raftWatch) scrape(ctx context.Context, base string) (metricSample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/metrics", nil)
	if err != nil {
		return metricSample{}, err
	}
	resp, err := w.pc.client.Do(req)
	if err != nil {
		return metricSample{}, fmt.Errorf("scrape %s: %w", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return metricSample{}, fmt.Errorf("scrape %s: %s", base, resp.Status)
	}
	return parseMetrics(resp.Body)
}

// parseMetrics reads the lines of the Prometheus text format that the
// watch needs. Labels are matched as written by the agent's registry.
func parseMetrics(r io.Reader) (metricSample, error) {
	s := metricSample{ok: true}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		cut := strings.LastIndexByte(line, ' ')
		if cut < 0 {
			continue
		}
		key := line[:cut]
		v, err := strconv.ParseFloat(line[cut+1:], 64)
		if err != nil {
			continue
		}
		switch {
		case key == `appmesh_raft_state{state="leader"}`:
			s.leader = v == 1
		case key == `appmesh_raft_index{kind="term"}`:
			s.term = v
		case key == "appmesh_raft_leader_changes_total":
			s.leaderChanges = v
		case key == "appmesh_raft_last_contact_seconds":
			s.lastContact = v
		case key == `go_gc_duration_seconds{quantile="1"}`:
			s.gcPause = v
		case strings.HasPrefix(key, "appmesh_raft_apply_seconds_sum"):
			s.applySum += v
		case strings.HasPrefix(key, "appmesh_raft_apply_seconds_count"):
			s.applyCount += v
		case key == "go_sched_latencies_seconds_count":
			s.schedCount = v
		case strings.HasPrefix(key, "go_sched_latencies_seconds_bucket{le=\"0.0104"):
			s.schedOver10ms = -v // made "over" once the count is known
		case strings.HasPrefix(key, "go_sched_latencies_seconds_bucket{le=\"0.117"):
			s.schedOver117ms = -v
		case strings.HasPrefix(key, "appmesh_allocations{"):
			s.allocsTotal += v
			if key == `appmesh_allocations{client_status="running"}` {
				s.allocsRunning = v
			}
		}
	}
	if err := sc.Err(); err != nil {
		return metricSample{}, fmt.Errorf("read metrics: %w", err)
	}
	if s.schedCount > 0 {
		s.schedOver10ms += s.schedCount
		s.schedOver117ms += s.schedCount
	}
	return s, nil
}

// raftSummary is the verdict of a watch.
type raftSummary struct {
	termChanges   int      // largest rise of the term on any server
	leaderChanges int      // rises of the leader-change counters, all servers
	leaders       []string // servers seen leading at some sample
	servers       []serverWatch
}

// holdsOneLeader reports whether the run kept its first leader.
func (r *raftSummary) holdsOneLeader() bool {
	return r.termChanges == 0 && r.leaderChanges == 0 && len(r.leaders) <= 1
}

func (w *raftWatch) summary() *raftSummary {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := &raftSummary{}
	for _, st := range w.stats {
		r.servers = append(r.servers, *st)
		if !st.first.ok {
			continue
		}
		r.termChanges = max(r.termChanges, int(st.last.term-st.first.term))
		r.leaderChanges += int(st.last.leaderChanges - st.first.leaderChanges)
		if st.leaderSamples > 0 {
			r.leaders = append(r.leaders, st.name)
		}
	}
	return r
}

// leaderRunning returns the allocation counts of the last sample of a
// server that led then (0, 0 when none did).
func (r *raftSummary) leaderRunning() (running, total int) {
	for _, st := range r.servers {
		if st.last.leader {
			return int(st.last.allocsRunning), int(st.last.allocsTotal)
		}
	}
	return 0, 0
}

func (r *raftSummary) print(w io.Writer, every time.Duration) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	verdict := "ONE LEADER for the whole run"
	if !r.holdsOneLeader() {
		verdict = "LEADERSHIP CHANGED"
	}
	p("raft (server processes, /v1/metrics every %v):", every)
	p("  verdict:               %s: term rose by %d, leader-change counters by %d, leaders seen %v",
		verdict, r.termChanges, r.leaderChanges, r.leaders)
	for _, st := range r.servers {
		apply := "-"
		if n := st.last.applyCount - st.first.applyCount; n > 0 {
			apply = fmt.Sprintf("%.1f ms mean over %.0f", 1000*(st.last.applySum-st.first.applySum)/n, n)
		}
		role := "follower"
		if st.leaderSamples > 0 {
			role = fmt.Sprintf("leader in %d of %d samples", st.leaderSamples, st.samples)
		}
		p("  %s: %s; term %.0f → %.0f; max last contact %s; raft apply %s; max GC pause %.1f ms; slowest scrape %v; %d failed scrapes",
			st.name, role, st.first.term, st.last.term, contactText(st), apply,
			1000*st.maxGCPause, st.maxScrape.Round(time.Millisecond), st.failures)
		if n := st.last.schedCount - st.first.schedCount; n > 0 {
			p("    goroutines waiting to run: %.3f%% of %.0f waits over 10 ms, %.4f%% over 117 ms",
				100*(st.last.schedOver10ms-st.first.schedOver10ms)/n, n, 100*(st.last.schedOver117ms-st.first.schedOver117ms)/n)
		}
		if st.firstErr != "" {
			p("    first scrape error: %s", st.firstErr)
		}
	}
}

func contactText(st serverWatch) string {
	if st.leaderSamples == st.samples-st.failures {
		return "- (leader)"
	}
	return fmt.Sprintf("%.0f ms", 1000*st.maxLastContact)
}
