// Command sim is the end-to-end scheduling benchmark: it starts real
// appmesh servers in this process, registers N simulated client nodes over
// real network RPC, submits service jobs through the HTTP API until the
// wanted number of allocations run, and prints placements per second,
// time to all running, submit-to-placed latency and peak memory.
//
// See README.md for flags and how to read the figures.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/command/agent"
	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/transport"
)

type options struct {
	nodes       int
	allocs      int
	full        bool
	servers     int
	jobSize     int
	inflight    int
	submitters  int
	taskCPU     int
	taskMem     int
	ackMode     string
	ackBatch    int
	ackSenders  int
	conns       int
	registerPar int
	schedulers  int
	cpuProfile  string
	memProfile  string
	timeout     time.Duration
	logLevel    string
	dataDir     string
	killLeader  bool
	inproc      bool
	failWatch   time.Duration
	subscribers int
	events      eventOptions
	eventProc   bool
	eventCgroup string
	eventShares int
	procs       bool
	bin         string
	raftSample  time.Duration
	raftMult    int
	srvCgroup   string
	srvShares   int
	// onReport, when set (tests), gets the run's report once printed.
	onReport func(*report)
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.IntVar(&o.nodes, "nodes", 5000, "simulated client nodes")
	fs.IntVar(&o.allocs, "allocs", 100_000, "allocations to place and run")
	fs.BoolVar(&o.full, "full", false, "place 1,000,000 allocations (overrides -allocs)")
	fs.IntVar(&o.servers, "servers", 1, "in-process servers (1, or 3 for a cluster with gossip and bootstrap-expect)")
	fs.IntVar(&o.jobSize, "job-size", 1000, "allocations per job (group count)")
	fs.IntVar(&o.inflight, "inflight", 0, "most jobs submitted but not fully placed at once (0: submit all at once)")
	fs.IntVar(&o.submitters, "submitters", 4, "concurrent PUT /v1/jobs calls")
	fs.IntVar(&o.taskCPU, "task-cpu", 20, "task CPU (MHz)")
	fs.IntVar(&o.taskMem, "task-memory", 32, "task memory (MB)")
	fs.StringVar(&o.ackMode, "ack", "global", `acknowledgements: "global" batches across nodes, "node" sends one call per node and answer`)
	fs.IntVar(&o.ackBatch, "ack-batch", 250, "most allocation updates per Node.UpdateAlloc call with -ack=global (larger batches make one memdb commit touch more than 8,192 radix nodes, which falls back to a full-tree notify walk)")
	fs.IntVar(&o.ackSenders, "ack-senders", 2, "concurrent Node.UpdateAlloc calls with -ack=global")
	fs.IntVar(&o.conns, "conns", 16, "connections (yamux sessions) per server shared by the nodes")
	fs.IntVar(&o.registerPar, "register-parallel", 64, "concurrent node registrations")
	fs.IntVar(&o.schedulers, "schedulers", 0, "scheduler workers per server (0: the server default, max(4, 2×CPUs))")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the placement phase to this file")
	fs.StringVar(&o.memProfile, "memprofile", "", "write a heap profile at the end to this file")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up after this long from the first submit")
	fs.StringVar(&o.logLevel, "log-level", "error", "server log level")
	fs.StringVar(&o.dataDir, "data-dir", "", "keep Raft in BoltDB and snapshot files under this directory, as a production server does (default: in memory, the log on the Go heap)")
	fs.BoolVar(&o.inproc, "inproc", false, "nodes call the servers in-process (server.RPC) instead of over the network: no client connection pools, for a loaded machine")
	fs.BoolVar(&o.killLeader, "kill-leader", false, "after all allocations run, kill the leader and count the live nodes the new leader marks down (needs -servers 3)")
	fs.DurationVar(&o.failWatch, "failover-watch", 150*time.Second, "with -kill-leader, how long to watch node status after the kill (longer than the largest heartbeat TTL: 100s at 5,000 nodes)")
	fs.BoolVar(&o.procs, "procs", false, "run the servers as separate `appmesh agent -server` processes (Raft on BoltDB under -data-dir or a temporary directory) and watch their leadership (procs.go)")
	fs.StringVar(&o.bin, "bin", "bin/appmesh", "with -procs, the agent binary to run (make build)")
	fs.DurationVar(&o.raftSample, "raft-sample", time.Second, "with -procs, how often each server's /v1/metrics is read for its Raft state")
	fs.StringVar(&o.srvCgroup, "server-cgroup", "", "with -procs, a cgroup v1 cpu directory the server processes join (created when missing), e.g. /sys/fs/cgroup/cpu/sim-servers: they get the CPU before the simulator, whose nodes stand for other machines")
	fs.IntVar(&o.srvShares, "server-cgroup-shares", 262144, "with -server-cgroup, the group's cpu.shares (262144, the largest: the servers run first)")
	fs.IntVar(&o.raftMult, "raft-multiplier", 0, "with -procs, the servers' raft_multiplier (0: the agent default, 1)")
	fs.IntVar(&o.subscribers, "event-subscribers", 0, "event stream subscribers (every topic) draining GET /v1/event/stream during the run (events.go)")
	fs.BoolVar(&o.events.full, "event-full", false, "event subscribers ask for whole allocations (full=true) instead of summaries")
	fs.StringVar(&o.events.encoding, "event-encoding", "gzip", `how event subscribers read: "gzip" drains the compressed bytes, "decode" decompresses them in this process, "identity" asks for plain lines`)
	fs.BoolVar(&o.eventProc, "event-proc", false, "run the event subscribers in a child process, so that `process CPU` counts the servers' side of the stream only (events_proc.go)")
	fs.StringVar(&o.eventCgroup, "event-cgroup", "", "with -event-proc, a cgroup v1 cpu directory for the child (created when missing), e.g. /sys/fs/cgroup/cpu/sim-events")
	fs.IntVar(&o.eventShares, "event-cgroup-shares", 2, "with -event-cgroup, the group's cpu.shares (2: the subscribers read only when the servers and simulator leave a core idle; 1024: as much as a process of the default weight)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.full {
		o.allocs = 1_000_000
	}
	switch {
	case o.nodes <= 0 || o.allocs <= 0 || o.jobSize <= 0:
		return nil, errors.New("-nodes, -allocs and -job-size must be positive")
	case o.servers != 1 && o.servers < 3:
		return nil, errors.New("-servers must be 1 or at least 3")
	case o.ackMode != "global" && o.ackMode != "node":
		return nil, fmt.Errorf("-ack must be global or node, not %q", o.ackMode)
	case o.events.encoding != "gzip" && o.events.encoding != "decode" && o.events.encoding != "identity":
		return nil, fmt.Errorf("-event-encoding must be gzip, decode or identity, not %q", o.events.encoding)
	case o.eventCgroup != "" && !o.eventProc:
		return nil, errors.New("-event-cgroup needs -event-proc")
	case o.conns <= 0 || o.submitters <= 0:
		return nil, errors.New("-conns and -submitters must be positive")
	case o.killLeader && o.servers < 3:
		return nil, errors.New("-kill-leader needs -servers 3 (a lone server has no one to take over)")
	case o.procs && (o.killLeader || o.inproc):
		return nil, errors.New("-procs cannot be combined with -kill-leader or -inproc: both act on in-process servers")
	case o.srvCgroup != "" && !o.procs:
		return nil, errors.New("-server-cgroup needs -procs (in-process servers share the simulator's process)")
	case o.raftMult != 0 && !o.procs:
		return nil, errors.New("-raft-multiplier needs -procs (in-process servers use the base timing)")
	case o.procs && o.raftSample <= 0:
		return nil, errors.New("-raft-sample must be positive")
	}
	return o, nil
}

func main() {
	if os.Getenv(eventChildEnv) == "1" {
		if err := runEventChild(); err != nil {
			fmt.Fprintln(os.Stderr, "sim event subscribers:", err)
			os.Exit(1)
		}
		return
	}
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "sim:", err)
		os.Exit(1)
	}
}

func run(o *options) error {
	// Run the servers with the garbage-collector setting a server agent
	// uses, so the figures are the product's (GOGC in the environment wins).
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(agent.ServerGCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	mem := startMemSampler(250 * time.Millisecond)
	logf("starting %d server(s)", o.servers)
	t0 := time.Now()
	c, err := startTarget(ctx, o)
	if err != nil {
		return err
	}
	var r *report
	defer func() { c.shutdown(r) }()
	logf("cluster ready in %v; HTTP %s, RPC %v", time.Since(t0).Round(time.Millisecond), c.httpURL, c.rpcAddrs)

	// Everything started from here on (nodes, pools, acker, submitters) is
	// the simulator: label it so that a CPU profile tells it from the
	// servers (go tool pprof -tagignore role=simulator shows the servers).
	ctx = pprof.WithLabels(ctx, pprof.Labels("role", "simulator"))
	pprof.SetGoroutineLabels(ctx)

	simCtx, cancelSim := context.WithCancel(ctx)
	defer cancelSim()
	var allRunning int64 // for the subscriber process's figure per allocation
	var markRead func()  // at the end of the window, with -event-proc
	switch {
	case o.subscribers > 0 && o.eventProc:
		p, err := startEventProc(c.httpURL, o.subscribers, o.events, o.eventCgroup, o.eventShares)
		if err != nil {
			return err
		}
		var atMark int64
		markRead = func() {
			if atMark, err = p.mark(); err != nil {
				logf("%v", err)
			}
		}
		defer func() {
			res, cpu, err := p.stop()
			if err != nil {
				logf("%v", err)
				return
			}
			logf("%d event subscribers (own process%s) read %d MB (%s; %.0f%% of it by the time all ran), %d streams ended early (lagged), subscriber process CPU %v (%.0f µs per allocation)",
				o.subscribers, map[bool]string{true: fmt.Sprintf(", cgroup %s, cpu.shares %d", o.eventCgroup, o.eventShares)}[o.eventCgroup != ""],
				res.Read>>20, o.events.encoding, 100*float64(atMark)/float64(max(res.Read, 1)), res.Early,
				cpu.Round(time.Millisecond), perAlloc(cpu, allRunning))
		}()
	case o.subscribers > 0:
		st, wait, err := eventSubscribers(simCtx, c.httpURL, o.subscribers, o.events)
		if err != nil {
			return err
		}
		defer func() {
			cancelSim()
			wait()
			logf("%d event subscribers read %d MB (%s), %d streams ended early (lagged)", o.subscribers, st.read.Load()>>20, o.events.encoding, st.early.Load())
		}()
	}
	s := &sim{
		ctx:     simCtx,
		addrs:   c.rpcAddrs,
		task:    "t",
		ackMode: o.ackMode,
		tracker: newJobTracker(),
	}
	if o.inproc {
		s.local = c.inproc.servers
	}
	poolLog := hclog.NewNullLogger()
	for range o.conns {
		s.pools = append(s.pools, transport.NewPool(poolLog))
	}
	defer func() {
		for _, p := range s.pools {
			p.Close()
		}
	}()
	s.acker = newAcker(o.ackBatch, s.sendGlobal)
	s.acker.onSent = func(b []*structs.AllocStatusUpdate) { s.acked(len(b)) }
	s.acker.onErr = func(err error) {
		s.rpcErrors.Add(1)
		s.errOnce.Do(func() { s.firstErr.Store("Node.UpdateAlloc: " + err.Error()) })
	}
	ackWG := s.acker.run(simCtx, o.ackSenders)

	logf("registering %d nodes", o.nodes)
	t0 = time.Now()
	if _, err := s.startNodes(o.nodes, o.registerPar); err != nil {
		return err
	}
	regTime := time.Since(t0)
	logf("registered %d nodes in %v (%.0f/s)", o.nodes, regTime.Round(time.Millisecond), rate(o.nodes, regTime))

	// Let the first heartbeat-free moments pass and the watches block.
	ctxsleep.Sleep(ctx, 500*time.Millisecond)

	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}

	nJobs, lastSize := jobCount(o.allocs, o.jobSize)
	var sem chan struct{}
	if o.inflight > 0 {
		sem = make(chan struct{}, o.inflight)
		s.tracker.onDone = func(string) { <-sem }
	}
	sub := &submitter{url: c.httpURL, client: &http.Client{Timeout: time.Minute}}
	runCtx, cancelRun := context.WithTimeout(ctx, o.timeout)
	defer cancelRun()

	logf("submitting %d jobs of %d allocations (%d in all)", nJobs, o.jobSize, o.allocs)
	cpu0 := processCPU()
	submitErr := make(chan error, 1)
	var submitDone time.Time
	var subMu sync.Mutex
	go func() {
		err := submitAll(runCtx, o.submitters, nJobs, func(i int) error {
			if sem != nil {
				select {
				case sem <- struct{}{}:
				case <-runCtx.Done():
					return runCtx.Err()
				}
			}
			size := o.jobSize
			if i == nJobs-1 {
				size = lastSize
			}
			id := fmt.Sprintf("sim-%05d", i)
			s.tracker.submitted(id, size, time.Now())
			if err := sub.submit(runCtx, jobSpec(id, s.task, size, o.taskCPU, o.taskMem)); err != nil {
				return fmt.Errorf("job %s: %w", id, err)
			}
			return nil
		})
		subMu.Lock()
		submitDone = time.Now()
		subMu.Unlock()
		submitErr <- err
	}()

	progress := time.NewTicker(5 * time.Second)
	defer progress.Stop()
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	var runErr error
wait:
	for s.running.Load() < int64(o.allocs) {
		select {
		case err := <-submitErr:
			if err != nil {
				runErr = err
				break wait
			}
		case <-progress.C:
			placed, first, _, _, _ := s.tracker.summary()
			logf("%6.1fs placed %d, running %d, watch answers %d, fetches %d, ack calls %d, rpc errors %d",
				time.Since(first).Seconds(), placed, s.running.Load(), s.watches.Load(), s.fetched.Load(), s.ackCalls.Load(), s.rpcErrors.Load())
		case <-runCtx.Done():
			runErr = fmt.Errorf("gave up: %w", runCtx.Err())
			break wait
		case <-poll.C:
		}
	}
	cpuUsed := processCPU() - cpu0
	allRunning = s.running.Load()
	if markRead != nil {
		markRead()
	}
	if o.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	peak := mem.Stop()

	placed, first, last, lat, unfinished := s.tracker.summary()
	lastRun := time.Unix(0, s.lastRunning.Load())
	subMu.Lock()
	subEnd := submitDone
	subMu.Unlock()

	r = &report{
		opts: o, nodes: o.nodes, placed: placed, running: int(s.running.Load()),
		regTime: regTime, placeTime: last.Sub(first), runTime: lastRun.Sub(first),
		lat: lat, unfinished: unfinished, peak: peak,
		watches: s.watches.Load(), fetches: s.fetched.Load(), ackCalls: s.ackCalls.Load(),
		heartbeats: s.heartbeats.Load(), rpcErrors: s.rpcErrors.Load(),
		submitRetries: sub.retries.Load(), cpu: cpuUsed,
	}
	if !subEnd.IsZero() {
		r.submitTime = subEnd.Sub(first)
	}
	if e, ok := s.firstErr.Load().(string); ok {
		r.firstErr = e
	}
	c.finish(r)
	r.print(os.Stdout)
	if o.onReport != nil {
		o.onReport(r)
	}
	// The failover counts nodes, not allocations: it runs even when the
	// placement phase gave up (a loaded machine), as long as it was not
	// interrupted.
	if o.killLeader && ctx.Err() == nil {
		fr, err := failover(ctx, c.inproc, s, o.failWatch)
		if err != nil {
			runErr = err
		} else {
			fr.print(os.Stdout)
		}
	}

	if o.memProfile != "" {
		if err := writeHeapProfile(o.memProfile); err != nil {
			return err
		}
	}
	cancelSim()
	ackWG.Wait()
	return runErr
}

// perAlloc is d per allocation in µs.
func perAlloc(d time.Duration, n int64) float64 {
	if n <= 0 {
		return 0
	}
	return float64(d.Microseconds()) / float64(n)
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	runtime.GC()
	return pprof.WriteHeapProfile(f)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}
