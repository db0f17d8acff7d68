package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

// leakSnapshot is what a leak could grow in and around the agent.
type leakSnapshot struct {
	goroutines, fds, procs, cgroups int
}

// leaksFigure runs 1,000 short-lived tasks (ten batch jobs of 100, one
// after another) on a dev agent and compares the agent's goroutines and
// file descriptors, its descendant processes and appmesh's cgroups before
// and after. Nothing should grow.
func (b *bench) leaksFigure(ctx context.Context) error {
	jobs, per := 10, 100
	if b.quick {
		jobs = 2
	}
	a, err := devAgent(b.root, "dev-leaks")
	if err != nil {
		return err
	}
	if err := b.startAgent(ctx, a); err != nil {
		return err
	}
	defer b.stopAgent(a)
	if _, err := waitNodeReady(ctx, a); err != nil {
		return err
	}
	// Warm up once so the driver plugin and caches exist in both snapshots.
	if err := b.runShortJob(ctx, a, "warm", 1); err != nil {
		return err
	}
	before, err := b.leakSnapshot(ctx, a)
	if err != nil {
		return err
	}
	start := time.Now()
	for i := 0; i < jobs; i++ {
		if err := b.runShortJob(ctx, a, fmt.Sprintf("%d", i), per); err != nil {
			return err
		}
	}
	took := time.Since(start)
	if err := sleepCtx(ctx, 3*time.Second); err != nil { // let exits settle
		return err
	}
	after, err := b.leakSnapshot(ctx, a)
	if err != nil {
		return err
	}
	n := jobs * per
	report(fmt.Sprintf("%d short tasks in a row", n), took.Round(time.Millisecond).String(), "(no budget)", "info")
	for _, f := range []struct {
		name          string
		before, after int
		slack         int
	}{
		{"agent goroutines", before.goroutines, after.goroutines, 5},
		{"agent open fds", before.fds, after.fds, 2},
		{"processes under the agent", before.procs, after.procs, 0},
		{"appmesh cgroups", before.cgroups, after.cgroups, 0},
	} {
		report(fmt.Sprintf("leak: %s, before → after", f.name), fmt.Sprintf("%d → %d", f.before, f.after),
			"(budget: no growth)", within(f.after-f.before <= f.slack))
	}
	return nil
}

// runShortJob runs a batch job of count tasks that exit at once, waits
// until all completed, and purges the job.
func (b *bench) runShortJob(ctx context.Context, a *agent, suffix string, count int) error {
	id := fmt.Sprintf("bench-leak-%s-%s", b.nonce, suffix)
	job := map[string]any{
		"id": id, "type": "batch",
		"groups": []any{map[string]any{
			"name": "g", "count": count,
			"restart": map[string]any{"attempts": 0},
			"tasks": []any{map[string]any{
				"name": "t", "driver": "exec",
				"config":    map[string]any{"command": "/bin/true"},
				"resources": map[string]any{"cpu": 20, "memory": 16},
			}},
		}},
	}
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	index, err := a.api.registerJob(ctx, job)
	if err != nil {
		return fmt.Errorf("register %s: %w", id, err)
	}
	for {
		sum, idx, err := a.api.jobSummary(ctx, id, index, 10*time.Second)
		if err != nil {
			return fmt.Errorf("job %s: %w (complete %d of %d)", id, err, sum.Complete, count)
		}
		if sum.Failed > 0 {
			return fmt.Errorf("job %s: %d of its /bin/true tasks failed", id, sum.Failed)
		}
		if sum.Complete >= count {
			break
		}
		index = max(idx, index)
	}
	_, err = a.api.do(ctx, "DELETE", "/v1/job/"+id+"?purge=true", nil, nil)
	return err
}

func (b *bench) leakSnapshot(ctx context.Context, a *agent) (leakSnapshot, error) {
	var self struct {
		Stats struct {
			Goroutines int `json:"goroutines"`
			OpenFDs    int `json:"open_fds"`
		} `json:"stats"`
	}
	if _, err := a.api.do(ctx, "GET", "/v1/agent/self", nil, &self); err != nil {
		return leakSnapshot{}, err
	}
	procs, err := sysProc.scan()
	if err != nil {
		return leakSnapshot{}, err
	}
	return leakSnapshot{
		goroutines: self.Stats.Goroutines,
		fds:        self.Stats.OpenFDs,
		procs:      countDescendants(procs, a.pid()),
		cgroups:    countCgroups(),
	}, nil
}

// countDescendants counts the processes below pid.
func countDescendants(procs map[int]proc, pid int) int {
	children := map[int][]int{}
	for p, info := range procs {
		children[info.PPID] = append(children[info.PPID], p)
	}
	n, queue := 0, []int{pid}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, c := range children[cur] {
			n++
			queue = append(queue, c)
		}
	}
	return n
}

// countCgroups counts appmesh's task cgroups (v2 or the v1 memory tree).
func countCgroups() int {
	for _, dir := range []string{"/sys/fs/cgroup/appmesh", "/sys/fs/cgroup/memory/appmesh"} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		n := 0
		for _, e := range entries {
			if e.IsDir() {
				n++
			}
		}
		return n
	}
	return 0
}
