package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// devAgentFigures runs the figures of one dev agent, in an order that keeps
// each clean: idle memory first (nothing has run yet), then memory per task
// (against that idle baseline), then the latency runs.
func (b *bench) devAgentFigures(ctx context.Context) error {
	a, err := devAgent(b.root, "dev")
	if err != nil {
		return err
	}
	if err := b.startAgent(ctx, a); err != nil {
		return err
	}
	defer b.stopAgent(a)
	readyAt := time.Now()
	n, err := waitNodeReady(ctx, a)
	if err != nil {
		return err
	}
	var idle *footprint
	if b.only["idle"] {
		if idle, err = b.idleFigure(ctx, a, readyAt); err != nil {
			return err
		}
	}
	if b.only["pertask"] {
		if err := b.perTaskFigure(ctx, a, n, idle); err != nil {
			return err
		}
	}
	if b.only["api"] {
		if err := b.apiLatencyFigure(ctx, a); err != nil {
			return err
		}
	}
	if b.only["cli"] {
		if err := b.cliLatencyFigure(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// waitNodeReady waits until the agent's client node is ready with a healthy
// exec driver, and returns it.
func waitNodeReady(ctx context.Context, a *agent) (node, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var last string
	for {
		ns, err := a.api.nodes(ctx)
		switch {
		case err != nil:
			last = err.Error()
		case len(ns) == 0:
			last = "no node registered"
		default:
			ex := ns[0].Drivers["exec"]
			if ns[0].Status == "ready" && ex.Detected && ex.Healthy {
				return ns[0], nil
			}
			last = fmt.Sprintf("node %s is %s, exec driver detected=%v healthy=%v", ns[0].ID, ns[0].Status, ex.Detected, ex.Healthy)
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return node{}, fmt.Errorf("%s: client not ready with a healthy exec driver after 60s: %s\n%s", a.name, last, tail(a.logPath, 10))
		}
	}
}

const (
	latencyCPU = 20 // MHz of one latency task
	latencyMem = 16 // MB of one latency task
)

// submitAndWait registers a one-task job and follows its allocations with
// blocking queries until one is running; it returns the time from just
// before the PUT to the answer that shows it running.
func submitAndWait(ctx context.Context, a *agent, job map[string]any) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	id := job["id"].(string)
	start := time.Now()
	index, err := a.api.registerJob(ctx, job)
	if err != nil {
		return 0, fmt.Errorf("register %s: %w", id, err)
	}
	for {
		allocs, idx, err := a.api.jobAllocs(ctx, id, index, 10*time.Second)
		if err != nil {
			return 0, fmt.Errorf("allocations of %s: %w", id, err)
		}
		for _, al := range allocs {
			switch al.ClientStatus {
			case "running":
				return time.Since(start), nil
			case "failed", "lost":
				return 0, fmt.Errorf("job %s: %s", id, allocProblem(al))
			}
		}
		if idx > index {
			index = idx
		} else if err := sleepCtx(ctx, 10*time.Millisecond); err != nil {
			// The index did not move: not a blocking answer. Do not spin.
			return 0, fmt.Errorf("job %s not running after 60s (allocations: %d)", id, len(allocs))
		}
	}
}

// stopAndWait stops a job and waits until its task processes are gone.
func stopAndWait(ctx context.Context, a *agent, id, marker string) error {
	if err := a.api.stopJob(ctx, id); err != nil {
		return fmt.Errorf("stop %s: %w", id, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	_, err := waitProcsGone(wctx, marker, 10*time.Millisecond)
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("after stopping %s: %w", id, err)
	}
	return err
}

// apiLatencyFigure: PUT /v1/jobs → allocation running, one exec task.
func (b *bench) apiLatencyFigure(ctx context.Context, a *agent) error {
	runs := 50
	if b.quick {
		runs = 10
	}
	var ds []time.Duration
	noProc := 0
	for i := -1; i < runs; i++ { // run -1 warms up and is not counted
		arg := b.marker()
		id := fmt.Sprintf("bench-api-%s-%d", b.nonce, b.seq)
		d, err := submitAndWait(ctx, a, sleepJob(id, b.sleep, arg, 1, latencyCPU, latencyMem))
		if err != nil {
			return err
		}
		if n, _ := sysProc.countWithArg(arg); n == 0 {
			noProc++
		}
		if i >= 0 {
			ds = append(ds, d)
		}
		if err := stopAndWait(ctx, a, id, arg); err != nil {
			return err
		}
	}
	p50 := percentile(ds, 0.50)
	report(fmt.Sprintf("submit→running p50 (API, %d runs)", runs), fmtDur(p50), "(budget ≤ 100 ms)", within(p50 <= 100*time.Millisecond))
	report(fmt.Sprintf("submit→running p99 (API, %d runs)", runs), fmtDur(percentile(ds, 0.99)), "(no budget)", "info")
	detail("samples: %s", fmtDurs(ds))
	if noProc > 0 {
		detail("warning: %d time(s) the API said running but no sleep process existed yet", noProc)
	}
	return nil
}

// cliLatencyFigure: `appmesh job run FILE` until it returns with the
// allocation running.
func (b *bench) cliLatencyFigure(ctx context.Context, a *agent) error {
	runs := 20
	if b.quick {
		runs = 5
	}
	var ds []time.Duration
	for i := -1; i < runs; i++ {
		arg := b.marker()
		id := fmt.Sprintf("bench-cli-%s-%d", b.nonce, b.seq)
		file := filepath.Join(a.dir, id+".hcl")
		if err := os.WriteFile(file, []byte(sleepJobHCL(id, b.sleep, arg, 1, latencyCPU, latencyMem)), 0o644); err != nil {
			return err
		}
		rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		cmd := exec.CommandContext(rctx, b.bin, "job", "run", "-address", a.api.base, file)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		d := time.Since(start)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("appmesh job run %s: %v\n%s", file, err, strings.TrimSpace(string(out)))
		}
		allocs, _, err := a.api.jobAllocs(ctx, id, 0, 0)
		if err != nil {
			return err
		}
		if len(allocs) == 0 || allocs[0].ClientStatus != "running" {
			return fmt.Errorf("`appmesh job run` returned 0 but job %s has no running allocation; it printed:\n%s", id, out)
		}
		if i >= 0 {
			ds = append(ds, d)
		}
		if err := stopAndWait(ctx, a, id, arg); err != nil {
			return err
		}
	}
	report(fmt.Sprintf("submit→running p50 (CLI job run, %d runs)", runs), fmtDur(percentile(ds, 0.50)), "(no budget)", "info")
	report(fmt.Sprintf("submit→running p99 (CLI job run, %d runs)", runs), fmtDur(percentile(ds, 0.99)), "(no budget)", "info")
	detail("samples: %s (each includes starting the CLI process)", fmtDurs(ds))
	return nil
}
