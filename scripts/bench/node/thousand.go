package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
)

const clockTicks = 100 // USER_HZ: /proc's clock ticks per second on Linux

// thousandFigure: one job of 1,000 exec sleep tasks on a fresh dev agent:
// submit → all running, the agent's memory then, and job stop → no task
// process left. Along the way it records what the agent and its helpers
// spent in CPU, how the count grew, and how much the agent logged, so that
// a miss can be explained from measurements.
func (b *bench) thousandFigure(ctx context.Context) error {
	count := 1000
	timeout := 120 * time.Second
	if b.quick {
		count, timeout = 100, 60*time.Second
	}
	a, err := devAgent(b.root, "dev-1000")
	if err != nil {
		return err
	}
	if err := b.startAgent(ctx, a); err != nil {
		return err
	}
	defer b.stopAgent(a)
	n, err := waitNodeReady(ctx, a)
	if err != nil {
		return err
	}
	if err := sleepCtx(ctx, 2*time.Second); err != nil { // let start-up settle
		return err
	}
	pid := a.pid()
	arg := b.marker()
	id := fmt.Sprintf("bench-1000-%s-%d", b.nonce, b.seq)
	cpu, mem := taskResources(n, count)
	if count*mem > n.Resources.Memory || count*cpu > n.Resources.CPU {
		detail("note: %d tasks of %d MHz / %d MB do not fit this node (%d MHz, %d MB)", count, cpu, mem, n.Resources.CPU, n.Resources.Memory)
	}

	before := b.cpuSplit(pid)
	logBefore := fileSize(a.logPath)

	// A sampler counts the task processes in /proc every 100 ms.
	sctx, stopSampler := context.WithCancel(ctx)
	var smu sync.Mutex
	var procsAll time.Duration // when the process count first reached count
	var procsMax int
	start := time.Now()
	var swg sync.WaitGroup
	swg.Add(1)
	go func() {
		defer swg.Done()
		for sleepCtx(sctx, 100*time.Millisecond) == nil {
			c, err := sysProc.countWithArg(arg)
			if err != nil {
				continue
			}
			smu.Lock()
			procsMax = max(procsMax, c)
			if c >= count && procsAll == 0 {
				procsAll = time.Since(start)
			}
			smu.Unlock()
		}
	}()

	// Progress from the API, as answered by the blocking queries.
	var firstRunning time.Duration
	var marks []string
	nextMark := time.Second
	took, sum, err := runCount(ctx, a, sleepJob(id, b.sleep, arg, count, cpu, mem), count, timeout,
		func(el time.Duration, s groupSummary) {
			if firstRunning == 0 && s.Running > 0 {
				firstRunning = el
			}
			for el >= nextMark {
				marks = append(marks, fmt.Sprintf("%ds:%d", int(nextMark/time.Second), s.Running))
				nextMark += time.Second
			}
		})
	stopSampler()
	swg.Wait()
	if err != nil {
		return err
	}
	if c, err := sysProc.countWithArg(arg); err == nil && c >= count && procsAll == 0 {
		procsAll = time.Since(start) // an upper bound: the sampler's last look was < 100 ms ago
	}
	after := b.cpuSplit(pid)
	label := fmt.Sprintf("%d tasks: submit→all running", count)
	budget := "(budget ≤ 10 s)"
	verdict := within(sum.Running >= count && took <= 10*time.Second)
	if count != 1000 {
		verdict = "n/a (-quick)"
	}
	if sum.Running < count {
		report(label, fmt.Sprintf("%d/%d in %s", sum.Running, count, fmtDur(took)), budget, verdict)
		detail("summary when giving up: %+v", sum)
	} else {
		report(label, fmtDur(took), budget, verdict)
	}
	smu.Lock()
	detail("first task running after %s; all %d sleep processes existed after %s (max seen %d)",
		fmtDur(firstRunning), count, orDash(procsAll), procsMax)
	smu.Unlock()
	if len(marks) > 0 {
		detail("running by second (API): %s", strings.Join(marks, " "))
	}
	wall := took.Seconds()
	detail("CPU used meanwhile: agent %.2f s, helpers %.2f s = %.0f%% of %d cores over %.2f s; agent log +%d kB",
		before.agentDelta(after), before.helperDelta(after),
		100*(before.agentDelta(after)+before.helperDelta(after))/wall/float64(numCPU()), numCPU(), wall,
		(fileSize(a.logPath)-logBefore)/1024)

	f, err := b.sampleFootprint(ctx, a, 1)
	if err != nil {
		return err
	}
	report(fmt.Sprintf("%d tasks: agent + %d helpers PSS", count, len(f.Helpers)), fmtMB(f.totalPSS()), "(no budget)", "info")
	peak, _ := sysProc.peakRSS(pid)
	detail("agent %s RSS, %s PSS (peak RSS so far %s); %d task processes not counted", fmtMB(f.Agent.RSS), fmtMB(f.Agent.PSS), fmtMB(peak), f.Tasks)
	listHelpers(f.Helpers)

	// Stop: DELETE /v1/job/<id> → no sleep process of the job left.
	cpuStop := b.cpuSplit(pid)
	stopStart := time.Now()
	if err := a.api.stopJob(ctx, id); err != nil {
		return fmt.Errorf("stop %s: %w", id, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	gone, werr := waitProcsGone(wctx, arg, 50*time.Millisecond)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	stopped := time.Since(stopStart)
	cpuStopEnd := b.cpuSplit(pid)
	if werr != nil {
		report(fmt.Sprintf("%d tasks: job stop→no process left", count), "> "+fmtDur(stopped), "(no budget)", "info")
		return werr
	}
	report(fmt.Sprintf("%d tasks: job stop→no process left", count), fmtDur(gone), "(no budget)", "info")
	detail("CPU used while stopping: agent %.2f s, helpers %.2f s", cpuStop.agentDelta(cpuStopEnd), cpuStop.helperDelta(cpuStopEnd))
	return nil
}

// cpuSnapshot is the CPU time of an agent and its helper processes.
type cpuSnapshot struct {
	agent   uint64
	helpers map[int]uint64 // pid → ticks; helpers come and go
}

func (b *bench) cpuSplit(agentPID int) cpuSnapshot {
	s := cpuSnapshot{helpers: map[int]uint64{}}
	s.agent, _ = sysProc.cpuTicks(agentPID)
	procs, err := sysProc.scan()
	if err != nil {
		return s
	}
	helpers, _ := classify(procs, agentPID, b.exe, b.runMarker())
	for _, h := range helpers {
		if t, err := sysProc.cpuTicks(h); err == nil {
			s.helpers[h] = t
		}
	}
	return s
}

func (s cpuSnapshot) agentDelta(later cpuSnapshot) float64 {
	return float64(later.agent-s.agent) / clockTicks
}

// helperDelta sums the growth of each helper's CPU time; a helper that did
// not exist before counts from zero, one that has exited is lost.
func (s cpuSnapshot) helperDelta(later cpuSnapshot) float64 {
	var d uint64
	for pid, t := range later.helpers {
		d += t - min(s.helpers[pid], t)
	}
	return float64(d) / clockTicks
}

func numCPU() int { return runtime.NumCPU() }

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

func orDash(d time.Duration) string {
	if d == 0 {
		return "—"
	}
	return fmtDur(d)
}
