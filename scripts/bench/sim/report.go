package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/appmesh/appmesh/command/agent"
	"github.com/appmesh/appmesh/server"
	"github.com/appmesh/appmesh/structs"
)

// report is what one run measured.
type report struct {
	opts       *options
	nodes      int
	placed     int // allocations first seen by their node
	running    int // allocations acknowledged running
	regTime    time.Duration
	submitTime time.Duration // first submit → last PUT answered
	placeTime  time.Duration // first submit → last placement seen by a node
	runTime    time.Duration // first submit → last running acknowledgement
	lat        []time.Duration
	unfinished int
	peak       memPeak
	cpu        time.Duration // process CPU (user + system), first submit → all running

	watches, fetches, ackCalls, heartbeats, rpcErrors int64
	firstErr                                          string
	submitRetries                                     int64 // job PUTs answered 503 (no leader) and sent again

	serverRunning, serverAllocs int
	serverOthers                map[string]int // allocations not running, by status

	// With -procs: the leadership watch and each server process's usage.
	raft  *raftSummary
	procs []procUsage
}

func (r *report) print(w io.Writer) {
	o := r.opts
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("")
	p("appmesh end-to-end scheduling benchmark")
	p("  setup:                 %d server(s), %d simulated nodes, %d allocations in jobs of %d, %d CPUs (GOMAXPROCS %d)",
		o.servers, r.nodes, o.allocs, o.jobSize, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	p("                         acks %s, inflight jobs %s, %d connection(s) per server", o.ackMode, inflightText(o.inflight), o.conns)
	p("                         raft %s; GC percent %s, memory limit %s", raftText(o), gcText(), limitText())
	p("  node registration:     %v (%.0f nodes/s)", r.regTime.Round(time.Millisecond), rate(r.nodes, r.regTime))
	p("  placed:                %d allocations", r.placed)
	p("  placements per second: %.0f  (placed / first submit → last placement seen by a node)", rate(r.placed, r.placeTime))
	p("  time to all placed:    %v", r.placeTime.Round(time.Millisecond))
	p("  time to all running:   %v  (%d acknowledged running; server state: %d of %d allocations running)",
		r.runTime.Round(time.Millisecond), r.running, r.serverRunning, r.serverAllocs)
	if r.submitTime > 0 {
		p("  all jobs submitted in: %v", r.submitTime.Round(time.Millisecond))
	}
	lat := append([]time.Duration(nil), r.lat...)
	p("  submit → placed, per job: p50 %v, p99 %v, max %v (%d jobs finished, %d not)",
		roundLatency(percentile(lat, 50)), roundLatency(percentile(lat, 99)),
		roundLatency(percentile(lat, 100)), len(lat), r.unfinished)
	who := "servers + simulator"
	if o.procs {
		who = "the simulator alone; servers below"
	}
	cpuWho := who
	switch {
	case o.subscribers > 0 && o.eventProc:
		cpuWho += "; event subscribers in their own process"
	case o.subscribers > 0:
		cpuWho += ", with event subscribers"
	}
	if r.cpu > 0 && r.running > 0 {
		// Less sensitive to a loaded machine than the rates above: what
		// the work cost, not how long it waited for a core.
		p("  process CPU:           %v, submit → all running (%.0f µs per allocation; %s)",
			r.cpu.Round(time.Millisecond), float64(r.cpu.Microseconds())/float64(r.running), cpuWho)
	}
	p("  peak memory (process: %s): heap in use %s, Go sys %s, VmHWM %s",
		who, mb(r.peak.HeapInuse), mb(r.peak.Sys), mb(r.peak.VmHWM))
	p("  RPCs by nodes: %d watch answers, %d alloc fetches, %d UpdateAlloc calls, %d heartbeats, %d errors",
		r.watches, r.fetches, r.ackCalls, r.heartbeats, r.rpcErrors)
	if r.firstErr != "" {
		p("  first RPC error: %s", r.firstErr)
	}
	for k, n := range r.serverOthers {
		p("  not running in the server's state: %d %s", n, k)
	}
	if r.submitRetries > 0 {
		p("  job submissions retried after a 503 (no leader): %d", r.submitRetries)
	}
	if r.raft != nil {
		printProcs(w, r.procs)
		r.raft.print(w, o.raftSample)
	}
}

func inflightText(n int) string {
	if n <= 0 {
		return "unlimited"
	}
	return fmt.Sprint(n)
}

// countRunning counts, in the leader's state, the allocations the servers
// want running and the clients reported running.
func countRunning(s *server.Server) (running, total int, others map[string]int) {
	allocs, err := s.State().Allocs(nil)
	if err != nil {
		return 0, 0, nil
	}
	others = map[string]int{}
	for _, a := range allocs {
		total++
		if a.DesiredStatus == structs.AllocDesiredRun && a.ClientStatus == structs.AllocClientRunning {
			running++
			continue
		}
		others[fmt.Sprintf("desired=%s client=%s (%s)", a.DesiredStatus, a.ClientStatus, a.DesiredDescription)]++
	}
	return running, total, others
}

// gcText is the run's GC percent: GOGC when set, else the servers'
// default that main applied.
func gcText() string {
	if v := os.Getenv("GOGC"); v != "" {
		return v
	}
	return strconv.Itoa(agent.ServerGCPercent)
}

func raftText(o *options) string {
	dataDir := o.dataDir
	if o.procs {
		if dataDir == "" {
			dataDir = "a temporary directory"
		}
		mult := "1 (default)"
		if o.raftMult > 0 {
			mult = fmt.Sprint(o.raftMult)
		}
		return fmt.Sprintf("on BoltDB under %s, servers as separate processes of %s, raft_multiplier %s", dataDir, o.bin, mult)
	}
	if dataDir == "" {
		return "in memory (log and snapshots on the Go heap)"
	}
	return "on BoltDB and snapshot files under " + dataDir
}

func limitText() string {
	l := debug.SetMemoryLimit(-1)
	if l == math.MaxInt64 {
		return "none"
	}
	return fmt.Sprintf("%.1f GiB", float64(l)/(1<<30))
}

// processCPU is the CPU time this process used so far (0 if unknown).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// roundLatency keeps a tenth of a millisecond below 100 ms: one job at a
// time is placed in a few milliseconds, where whole ones hide a change.
func roundLatency(d time.Duration) time.Duration {
	if d < 100*time.Millisecond {
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}
