package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"syscall"
	"time"
)

// sample is what could leak, measured at one steady state.
type sample struct {
	agentGoroutines int
	agentFDs        int
	plugins         map[int]int // plugin pid -> open fds
	pluginThreads   int
	cgroups         int // task cgroups of live allocations
	deadCgroups     []string
	mounts          int
}

func (s sample) pluginFDs() int {
	n := 0
	for _, fds := range s.plugins {
		n += fds
	}
	return n
}

func (s sample) String() string {
	return fmt.Sprintf("agent goroutines %d fds %d; plugins %d fds %d threads %d; cgroups %d; mounts %d",
		s.agentGoroutines, s.agentFDs, len(s.plugins), s.pluginFDs(), s.pluginThreads, s.cgroups, s.mounts)
}

// measure takes a sample and fails at once on what must never be: a
// cgroup of an allocation that no longer runs, a second set of plugins.
func (r *runner) measure(ctx context.Context) (sample, error) {
	st, err := r.client.stats(ctx)
	if err != nil {
		return sample{}, fmt.Errorf("agent stats: %w", err)
	}
	s := sample{agentGoroutines: st.Goroutines, agentFDs: st.OpenFDs, plugins: map[int]int{}}
	_, plugins := scanProcs(r.client.dataDir + "/")
	for _, p := range plugins {
		s.plugins[p.pid] = openFDs(p.pid)
		s.pluginThreads += threads(p.pid)
	}
	live := map[string]bool{}
	for _, j := range r.jobs {
		as, err := r.allocs(ctx, j)
		if err != nil {
			return s, err
		}
		for _, a := range as {
			live[a.ID] = true
		}
	}
	for _, cg := range taskCgroups(r.seen) {
		name := cg[strings.LastIndex(cg, "/")+1:]
		if live[name[:36]] {
			s.cgroups++
		} else {
			s.deadCgroups = append(s.deadCgroups, cg)
		}
	}
	s.mounts = len(mountsUnder(r.dir))
	if len(s.deadCgroups) > 0 {
		return s, fmt.Errorf("cgroups of allocations that no longer run: %v", s.deadCgroups)
	}
	if base := r.res.samples; len(base) > 0 {
		if len(s.plugins) != len(base[0].plugins) {
			return s, fmt.Errorf("%d driver plugins run, want %d (one per driver): %v", len(s.plugins), len(base[0].plugins), s.plugins)
		}
		if s.mounts != base[0].mounts || s.cgroups != base[0].cgroups {
			return s, fmt.Errorf("mounts under the data dir %d (at start %d), cgroups of running tasks %d (at start %d)",
				s.mounts, base[0].mounts, s.cgroups, base[0].cgroups)
		}
	}
	return s, nil
}

// cleanup stops the jobs, checks that their processes, containers,
// cgroups and mounts are gone, and stops the agents and plugins.
func (r *runner) cleanup(passed bool) error {
	var err error
	if r.client != nil && r.client.alive() && r.server.alive() {
		err = r.stopJobs()
	}
	if r.client != nil {
		r.client.stop()
		_, plugins := scanProcs(r.client.dataDir + "/")
		for _, p := range plugins { // left running on purpose by the agent
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		}
	}
	if r.server != nil {
		r.server.stop()
	}
	if r.image != "" {
		removeImage(r.image)
	}
	if passed && err == nil && r.o.dir == "" && r.dir != "" {
		removeAll(r.dir)
	}
	return err
}

// stopJobs purges the jobs and waits until nothing of them is left.
func (r *runner) stopJobs() error {
	for _, j := range r.jobs {
		if err := r.stopJob(j); err != nil {
			return err
		}
	}
	ctx := context.Background()
	return r.poll(ctx, "the stopped jobs to leave nothing behind", func() (bool, string, error) {
		all, _ := scanProcs("")
		for _, j := range r.jobs {
			if j.marker != "" {
				if ps := withMarker(all, j.marker); len(ps) > 0 {
					return false, fmt.Sprintf("%s: task processes %v", j.id, pids(ps)), nil
				}
				continue
			}
			if cs, err := containers(j.id); err != nil || len(cs) > 0 {
				return false, fmt.Sprintf("%s: containers %v %v", j.id, cs, err), nil
			}
		}
		if cgs := taskCgroups(r.seen); len(cgs) > 0 {
			return false, fmt.Sprintf("cgroups %v", cgs), nil
		}
		if ms := mountsUnder(r.dir); len(ms) > 0 {
			return false, fmt.Sprintf("mounts %v", ms), nil
		}
		return true, "", nil
	})
}

// result is what a run measured.
type result struct {
	seed                               int64
	want, done                         int
	taskKills, pluginKills, earlyKills int
	rescheduled                        int // jobs replaced after the node was marked down
	samples                            []sample
	leaks                              []string
	err                                error
	started                            time.Time
}

func median(xs []int) int {
	if len(xs) == 0 {
		return 0
	}
	s := append([]int(nil), xs...)
	sort.Ints(s)
	return s[len(s)/2]
}

// window is the median of f over the first or last tenth of the samples.
func (res *result) window(last bool, f func(sample) int) int {
	n := len(res.samples)
	w := max(1, n/10)
	part := res.samples[:w]
	if last {
		part = res.samples[n-w:]
	}
	var xs []int
	for _, s := range part {
		xs = append(xs, f(s))
	}
	return median(xs)
}

// leakReport compares the start of the run with its end: the agent's
// goroutines and fds (a fresh process each cycle, so growth means state
// that grows), and each plugin's fds over the cycles it lived through.
func (res *result) leakReport() []string {
	var leaks []string
	if len(res.samples) < 2 {
		return nil
	}
	g0, g1 := res.window(false, func(s sample) int { return s.agentGoroutines }), res.window(true, func(s sample) int { return s.agentGoroutines })
	if g1 > g0+max(10, g0/10) {
		leaks = append(leaks, fmt.Sprintf("agent goroutines grew from %d to %d", g0, g1))
	}
	f0, f1 := res.window(false, func(s sample) int { return s.agentFDs }), res.window(true, func(s sample) int { return s.agentFDs })
	if f1 > f0+5 {
		leaks = append(leaks, fmt.Sprintf("agent fds grew from %d to %d", f0, f1))
	}
	first, last := map[int]int{}, map[int]int{}
	for _, s := range res.samples {
		for pid, fds := range s.plugins {
			if _, ok := first[pid]; !ok {
				first[pid] = fds
			}
			last[pid] = fds
		}
	}
	for pid, fds := range last {
		if fds > first[pid]+5 {
			leaks = append(leaks, fmt.Sprintf("plugin %d fds grew from %d to %d", pid, first[pid], fds))
		}
	}
	sort.Strings(leaks)
	return leaks
}

func (res *result) summary() string {
	status := "PASS"
	if res.err != nil {
		status = "FAIL"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CLIENTRESTART %s: %d of %d cycles (seed %d); faults added: %d task kills, %d plugin kills, %d kills while restoring; %d jobs rescheduled after the node was marked down",
		status, res.done, res.want, res.seed, res.taskKills, res.pluginKills, res.earlyKills, res.rescheduled)
	if len(res.samples) > 1 {
		firstS, lastS := res.samples[0], res.samples[len(res.samples)-1]
		fmt.Fprintf(&b, "\n  start: %s\n  end:   %s", firstS, lastS)
	}
	if len(res.leaks) > 0 {
		fmt.Fprintf(&b, "\n  leaks: %s", strings.Join(res.leaks, "; "))
	}
	if res.err != nil {
		fmt.Fprintf(&b, "\n  error: %v", res.err)
	}
	return b.String()
}
