package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

const mb = 1024 // kB per MB

// sampleFootprint takes n footprints one second apart and returns the one
// with the median total PSS: the Go heap of the agent breathes with GC, and
// one sample can land on a peak.
func (b *bench) sampleFootprint(ctx context.Context, a *agent, n int) (footprint, error) {
	var fs []footprint
	for i := 0; i < n; i++ {
		if i > 0 {
			if err := sleepCtx(ctx, time.Second); err != nil {
				return footprint{}, err
			}
		}
		pid := a.pid()
		if pid == 0 {
			return footprint{}, fmt.Errorf("%s is not running:\n%s", a.name, tail(a.logPath, 10))
		}
		f, err := sysProc.measureFootprint(pid, b.exe, b.runMarker())
		if err != nil {
			return footprint{}, err
		}
		fs = append(fs, f)
	}
	slices.SortFunc(fs, func(x, y footprint) int { return int(x.totalPSS() - y.totalPSS()) })
	return fs[(len(fs)-1)/2], nil
}

// idleFigure: the agent and each helper process after 30 s idle.
func (b *bench) idleFigure(ctx context.Context, a *agent, readyAt time.Time) (*footprint, error) {
	idle := 30 * time.Second
	if b.quick {
		idle = 5 * time.Second
	}
	if err := sleepCtx(ctx, time.Until(readyAt.Add(idle))); err != nil {
		return nil, err
	}
	f, err := b.sampleFootprint(ctx, a, 3)
	if err != nil {
		return nil, err
	}
	label := fmt.Sprintf("idle agent VmRSS (after %s)", idle)
	report(label, fmtMB(f.Agent.RSS), "(budget ≤ 30 MB)", within(f.Agent.RSS <= 30*mb))
	report("idle agent PSS", fmtMB(f.Agent.PSS), "(no budget)", "info")
	for _, h := range f.Helpers {
		report(fmt.Sprintf("idle helper %s [%d]", strings.TrimPrefix(h.Name, "appmesh "), h.PID), fmtMB(h.PSS)+" PSS", "(VmRSS "+fmtMB(h.RSS)+")", "info")
	}
	total := f.totalPSS()
	report(fmt.Sprintf("idle agent + %d helpers, PSS total", len(f.Helpers)), fmtMB(total), "(budget ≤ 30 MB)", within(total <= 30*mb))
	detail("RSS summed over agent and helpers: %s (counts the shared binary once per process)", fmtMB(f.totalRSS()))
	return &f, nil
}

// taskResources picks cpu (MHz) and memory (MB) small enough for count tasks
// to fit the node, with room to spare.
func taskResources(n node, count int) (cpu, memMB int) {
	cpu = min(max(n.Resources.CPU*8/10/count, 1), 100)
	memMB = min(max(n.Resources.Memory/2/count, 4), 64)
	return cpu, memMB
}

// runCount registers a job of count sleep tasks and waits, with blocking
// queries on the job's summary, until all are running. onProgress is called
// with every answer.
func runCount(ctx context.Context, a *agent, job map[string]any, count int, timeout time.Duration,
	onProgress func(time.Duration, groupSummary)) (time.Duration, groupSummary, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	id := job["id"].(string)
	start := time.Now()
	index, err := a.api.registerJob(ctx, job)
	if err != nil {
		return 0, groupSummary{}, fmt.Errorf("register %s: %w", id, err)
	}
	var last groupSummary
	for {
		sum, idx, err := a.api.jobSummary(ctx, id, index, 10*time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return time.Since(start), last, nil // timed out: the caller reports how far it got
			}
			return 0, last, fmt.Errorf("summary of %s: %w", id, err)
		}
		last = sum
		if onProgress != nil {
			onProgress(time.Since(start), sum)
		}
		if sum.Running >= count {
			return time.Since(start), sum, nil
		}
		if idx > index {
			index = idx
		} else if err := sleepCtx(ctx, 10*time.Millisecond); err != nil {
			return time.Since(start), last, nil
		}
	}
}

// perTaskFigure: (PSS of agent + helpers with N tasks running − idle) / N.
func (b *bench) perTaskFigure(ctx context.Context, a *agent, n node, idle *footprint) error {
	count := 200
	if b.quick {
		count = 50
	}
	if idle == nil {
		return fmt.Errorf("memory per task needs the idle figure as its baseline")
	}
	arg := b.marker()
	id := fmt.Sprintf("bench-pertask-%s-%d", b.nonce, b.seq)
	cpu, mem := taskResources(n, count)
	took, sum, err := runCount(ctx, a, sleepJob(id, b.sleep, arg, count, cpu, mem), count, 120*time.Second, nil)
	if err != nil {
		return err
	}
	if sum.Running < count {
		return fmt.Errorf("only %d of %d tasks running after %s (summary %+v)", sum.Running, count, fmtDur(took), sum)
	}
	// Let the client's status updates and the first GC after the burst settle.
	if err := sleepCtx(ctx, 5*time.Second); err != nil {
		return err
	}
	f, err := b.sampleFootprint(ctx, a, 3)
	if err != nil {
		return err
	}
	delta := f.totalPSS() - idle.totalPSS()
	per := delta / int64(count)
	report(fmt.Sprintf("memory per running task (%d tasks, PSS)", count), fmt.Sprintf("%.2f MB", float64(per)/mb), "(budget ≤ 2 MB)", within(per <= 2*mb))
	detail("agent + %d helpers: %s PSS with %d tasks (agent %s), %s idle (%d task processes seen, not counted)",
		len(f.Helpers), fmtMB(f.totalPSS()), count, fmtMB(f.Agent.PSS), fmtMB(idle.totalPSS()), f.Tasks)
	listHelpers(f.Helpers)
	wctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	return stopAndWait(wctx, a, id, arg)
}

// listHelpers prints the helpers as detail lines, the largest few when
// there are many (a per-task helper design shows up as hundreds).
func listHelpers(hs []memSample) {
	hs = slices.Clone(hs)
	slices.SortFunc(hs, func(x, y memSample) int { return int(y.PSS - x.PSS) })
	const show = 6
	for i, h := range hs {
		if i == show {
			var rest int64
			for _, r := range hs[show:] {
				rest += r.PSS
			}
			detail("... and %d more helper process(es): %s PSS together", len(hs)-show, fmtMB(rest))
			break
		}
		detail("helper %d %s: %s RSS, %s PSS", h.PID, h.Name, fmtMB(h.RSS), fmtMB(h.PSS))
	}
}
