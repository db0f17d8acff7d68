package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// Task events that mean a task is in the hands of the current agent.
const (
	eventStarted    = "Started"
	eventReattached = "Re-attached"
)

func (r *runner) cycles(ctx context.Context) error {
	for i := 1; i <= r.o.cycles; i++ {
		if err := r.cycle(ctx, i); err != nil {
			return fmt.Errorf("cycle %d: %w", i, err)
		}
		r.res.done = i
	}
	return nil
}

func every(n, i int) bool { return n > 0 && i%n == 0 }

// cycle kills the client at a random moment, maybe adds a fault while it
// is down, restarts it and checks that every task is back and nothing
// leaked.
func (r *runner) cycle(ctx context.Context, i int) error {
	uptime := time.Duration(r.rng.Int63n(int64(r.o.maxUptime) + 1))
	time.Sleep(uptime)
	r.client.kill9()
	var faults []string
	killed := map[string]int{} // job -> task pid killed while the agent was down
	if every(r.o.taskKillEvery, i) {
		j, pid := r.killTask()
		killed[j] = pid
		faults = append(faults, fmt.Sprintf("task %d of %s killed", pid, j))
		r.res.taskKills++
	}
	if every(r.o.pluginKillEvery, i) {
		n := r.killPlugins()
		faults = append(faults, fmt.Sprintf("%d plugins killed", n))
		r.res.pluginKills++
	}
	since := time.Now()
	if err := r.client.start(); err != nil {
		return err
	}
	if every(r.o.earlyKillEvery, i) {
		// Again while it restores: its state and the plugins' may be
		// half-way through a re-attach.
		time.Sleep(time.Duration(r.rng.Int63n(int64(1500 * time.Millisecond))))
		r.client.kill9()
		faults = append(faults, "killed again while restoring")
		r.res.earlyKills++
		since = time.Now() // the killed agent's re-attaches do not count
		if err := r.client.start(); err != nil {
			return err
		}
	}
	back, err := r.waitSteady(ctx, since)
	if err != nil {
		return err
	}
	if err := r.checkSameTasks(killed); err != nil {
		return err
	}
	s, err := r.measure(ctx)
	if err != nil {
		return err
	}
	r.res.samples = append(r.res.samples, s)
	if len(faults) == 0 {
		faults = []string{"none"}
	}
	r.logf("cycle %d/%d: killed after %s up; faults: %s; back after %s: %s; %s",
		i, r.o.cycles, uptime.Round(time.Millisecond), strings.Join(faults, ", "),
		time.Since(since).Round(time.Millisecond), back, s)
	return nil
}

// killTask SIGKILLs one task process of a random exec/raw_exec job.
func (r *runner) killTask() (string, int) {
	var candidates []job
	for _, j := range r.jobs {
		if j.marker != "" && len(r.pids[j.id]) > 0 {
			candidates = append(candidates, j)
		}
	}
	if len(candidates) == 0 {
		return "", 0
	}
	j := candidates[r.rng.Intn(len(candidates))]
	pid := r.pids[j.id][r.rng.Intn(len(r.pids[j.id]))]
	_ = syscall.Kill(pid, syscall.SIGKILL)
	return j.id, pid
}

// killPlugins SIGKILLs the client's driver plugins and waits until they
// are gone (their tasks live on, reparented).
func (r *runner) killPlugins() int {
	_, plugins := scanProcs(r.client.dataDir + "/")
	for _, p := range plugins {
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, left := scanProcs(r.client.dataDir + "/"); len(left) == 0 {
			break
		}
	}
	return len(plugins)
}

// waitSteady waits until every job runs exactly its count: allocations
// running, each task's last start or re-attach made by an agent started at
// or after since, and exactly count task processes (containers). It
// returns how many tasks were re-attached and how many started.
func (r *runner) waitSteady(ctx context.Context, since time.Time) (string, error) {
	var summary string
	err := r.poll(ctx, "every task to run again", func() (bool, string, error) {
		if _, err := r.client.stats(ctx); err != nil {
			return false, "client agent API: " + err.Error(), nil
		}
		all, _ := scanProcs("")
		reattached, started := 0, 0
		for _, j := range r.jobs {
			as, err := r.allocs(ctx, j)
			if err != nil {
				return false, err.Error(), nil
			}
			if ok, s := r.jobBack(j, as, since, &reattached, &started); !ok {
				return false, s, nil
			}
			if ok, s, err := r.tasksExactly(j, all); err != nil || !ok {
				return false, s, err
			}
		}
		summary = fmt.Sprintf("%d re-attached, %d started", reattached, started)
		return true, summary, nil
	})
	return summary, err
}

// jobBack checks a job's allocations against its count and since.
func (r *runner) jobBack(j job, as []*structs.AllocListStub, since time.Time, reattached, started *int) (bool, string) {
	if len(as) != j.count {
		return false, fmt.Sprintf("%s: %d allocations, want %d: %s", j.id, len(as), j.count, describe(as))
	}
	var ids []string
	for _, a := range as {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	r.allocIDs[j.id+"/new"] = ids
	for _, a := range as {
		r.seen[a.ID] = true
		if a.ClientStatus != structs.AllocClientRunning {
			return false, fmt.Sprintf("%s: %s", j.id, describe(as))
		}
		for name, ts := range a.TaskStates {
			ev := lastStart(ts)
			if ts.State != structs.TaskStateRunning || ev == nil || time.Unix(0, ev.Time).Before(since) {
				return false, fmt.Sprintf("%s: task %s of %s not yet back: %s", j.id, name, a.ID[:8], describe(as))
			}
			if ev.Type == eventReattached {
				*reattached++
			} else {
				*started++
			}
		}
	}
	return true, ""
}

func lastStart(ts *structs.TaskState) *structs.TaskEvent {
	for i := len(ts.Events) - 1; i >= 0; i-- {
		if t := ts.Events[i].Type; t == eventStarted || t == eventReattached {
			return ts.Events[i]
		}
	}
	return nil
}

// tasksExactly counts the job's task processes or containers: exactly
// count, all running. It records them for checkSameTasks.
func (r *runner) tasksExactly(j job, all []proc) (bool, string, error) {
	if j.marker != "" {
		ps := withMarker(all, j.marker)
		if len(ps) != j.count {
			return false, fmt.Sprintf("%s: %d task processes %v, want %d", j.id, len(ps), pids(ps), j.count), nil
		}
		r.pids[j.id+"/new"] = pids(ps)
		return true, "", nil
	}
	cs, err := containers(j.id)
	if err != nil {
		return false, "", err
	}
	running := 0
	for _, c := range cs {
		if strings.HasSuffix(c, " running") {
			running++
		}
	}
	if len(cs) != j.count || running != j.count {
		return false, fmt.Sprintf("%s: containers %v, want %d running and no other", j.id, cs, j.count), nil
	}
	r.ctrs[j.id+"/new"] = cs
	return true, "", nil
}

// checkSameTasks: a kill of the agent (and of its plugins) must leave the
// tasks as they were: re-attached, same processes and containers. Only a
// task killed on purpose may have been replaced, by a new one.
//
// A client down longer than its heartbeat TTL (a loaded machine makes the
// agent slow to start) is marked down by the servers, and its allocations
// are replaced: that is the scheduler's policy, not a lost re-attach. Such
// a job's new tasks are counted as rescheduled; they must still be exactly
// its count, which waitSteady saw.
func (r *runner) checkSameTasks(killed map[string]int) error {
	for _, j := range r.jobs {
		oldIDs, curIDs := r.allocIDs[j.id], r.allocIDs[j.id+"/new"]
		r.allocIDs[j.id] = curIDs
		if oldIDs != nil && !slices.Equal(oldIDs, curIDs) {
			r.res.rescheduled++
			r.logf("  %s: allocations %v replaced by %v (node marked down while the agent was away)", j.id, oldIDs, curIDs)
			r.pids[j.id], r.ctrs[j.id] = r.pids[j.id+"/new"], r.ctrs[j.id+"/new"]
			continue
		}
		if j.marker == "" {
			old, cur := r.ctrs[j.id], r.ctrs[j.id+"/new"]
			if old != nil && !slices.Equal(old, cur) {
				return fmt.Errorf("%s: containers %v became %v: a container was replaced", j.id, old, cur)
			}
			r.ctrs[j.id] = cur
			continue
		}
		old, cur := r.pids[j.id], r.pids[j.id+"/new"]
		for _, pid := range old {
			if pid != killed[j.id] && !slices.Contains(cur, pid) {
				return fmt.Errorf("%s: task process %d is gone (now %v) though nothing killed it", j.id, pid, cur)
			}
		}
		r.pids[j.id] = cur
	}
	return nil
}
