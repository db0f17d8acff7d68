package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appmesh/appmesh/e2e/faults"
)

// Settings of TestFaultSchedules, from the environment. `make test` runs
// one short schedule; scripts/faults/run.sh runs many long ones.
const (
	envSeed      = "APPMESH_NEMESIS_SEED"     // first schedule's seed; random if unset
	envSchedules = "APPMESH_FAULTS_SCHEDULES" // how many schedules (default 1)
	envDuration  = "APPMESH_FAULTS_DURATION"  // faults per schedule (default 40s)
	envOut       = "APPMESH_FAULTS_OUT"       // where a failing history's HTML view goes
	envServers   = "APPMESH_FAULTS_SERVERS"   // servers in the cluster: 3 (default) or 5
)

// TestFaultSchedules runs random fault schedules against three servers (or
// five, APPMESH_FAULTS_SERVERS=5) and two clients in Docker containers: while workers register, update, read
// and stop jobs through every agent, a nemesis seeded from the schedule's
// seed partitions, kills, pauses and restarts them. Then it heals, and the
// test checks that the cluster converges and that the recorded history is
// linearizable. Each schedule prints its seed; APPMESH_NEMESIS_SEED=<seed>
// replays the same fault choices.
func TestFaultSchedules(t *testing.T) {
	if out, err := exec.Command("docker", "version", "--format", "{{.Server.Version}}").CombinedOutput(); err != nil {
		t.Skipf("SKIPPED: no usable Docker engine here (`docker version`: %v: %s); this test needs one", err, strings.TrimSpace(string(out)))
	}
	if err := haveNemesisTools(); err != nil {
		t.Fatalf("the nemesis needs the host's iptables and nsenter: %v", err)
	}
	schedules, dur, seed := faultSettings(t)
	servers := faultServers(t)
	var total faultTotals
	for i := 0; i < schedules; i++ {
		s := seed + uint64(i)
		t.Run(fmt.Sprintf("seed=%d", s), func(t *testing.T) {
			fmt.Printf("fault schedule %d/%d: %s=%d (%s of faults, %d servers)\n", i+1, schedules, envSeed, s, dur, servers)
			total.add(runFaultSchedule(t, s, dur, servers))
		})
	}
	fmt.Printf("FAULTS TOTAL schedules=%d ops=%d stale_reads=%d faults=%d violations=%d failed=%d\n",
		schedules, total.ops, total.stale, total.faults, total.violations, total.failed)
}

func faultSettings(t *testing.T) (schedules int, dur time.Duration, seed uint64) {
	schedules, dur, seed = 1, 40*time.Second, rand.Uint64()%1_000_000_000
	if v := os.Getenv(envSchedules); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number", envSchedules, v)
		}
		schedules = n
	}
	if v := os.Getenv(envDuration); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("%s=%q: want a duration such as 2m", envDuration, v)
		}
		dur = d
	}
	if v := os.Getenv(envSeed); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: want a non-negative integer", envSeed, v)
		}
		seed = n
	}
	return schedules, dur, seed
}

// faultServers is the cluster's server count: 3, or 5 to try the
// schedules where two servers can be down at once and still leave a quorum.
func faultServers(t *testing.T) int {
	switch v := os.Getenv(envServers); v {
	case "", "3":
		return 3
	case "5":
		return 5
	default:
		t.Fatalf("%s=%q: want 3 or 5", envServers, v)
		return 0
	}
}

type faultTotals struct {
	mu                                     sync.Mutex
	ops, stale, faults, violations, failed int
}

type faultResult struct {
	res    faults.Result
	faults int
	failed bool
}

func (f *faultTotals) add(r faultResult) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ops += r.res.Ops
	f.stale += r.res.StaleReads
	f.faults += r.faults
	if !r.res.OK() {
		f.violations++
	}
	if r.failed {
		f.failed++
	}
}

// runFaultSchedule is one schedule on a fresh cluster.
func runFaultSchedule(t *testing.T, seed uint64, dur time.Duration, servers int) (out faultResult) {
	ctx, cancel := context.WithTimeout(context.Background(), dur+10*time.Minute)
	t.Cleanup(cancel)
	d := &dockerCluster{t: t, ctx: ctx, name: fmt.Sprintf("appmesh-faults-%d-%d", runTag, seed%100000)}
	defer func() { out.failed = t.Failed() }()
	nodeMem := startFaultCluster(t, d, servers)
	minMem := nodeMem["c1"]
	if m := nodeMem["c2"]; m < minMem {
		minMem = m
	}
	w := newWorkload(d, 6, max(16, minMem/10))

	wctx, stopWork := context.WithTimeout(ctx, dur)
	defer stopWork()
	nem := newNemesis(d, seed, t.Logf)
	stopNem := make(chan struct{})
	nemErr := make(chan error, 1)
	go func() { nemErr <- nem.run(stopNem) }()
	w.run(wctx, 4, seed)
	close(stopNem)
	if err := <-nemErr; err != nil {
		t.Fatalf("seed %d: nemesis: %v", seed, err)
	}
	out.faults = nem.faults

	healed := time.Now()
	var lastErr error
	for time.Since(healed) < convergeTimeout {
		if lastErr = w.converged(nodeMem); lastErr == nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if lastErr != nil {
		t.Errorf("seed %d: not converged %v after healing: %v", seed, convergeTimeout, lastErr)
	} else {
		t.Logf("seed %d: converged %v after healing; %d allocations running, each with its task process",
			seed, time.Since(healed).Round(100*time.Millisecond), w.running)
	}
	w.finalReads()

	calls := w.rec.Calls()
	out.res = faults.Check(calls, 2*time.Minute)
	kinds := make([]string, 0, len(nem.kinds))
	for k, n := range nem.kinds {
		kinds = append(kinds, fmt.Sprintf("%s:%d", k, n))
	}
	sort.Strings(kinds)
	fmt.Printf("FAULTS seed=%d calls=%d ops=%d unknown=%d stale_reads=%d faults=%d [%s] verdict=%s converged=%v\n",
		seed, len(calls), out.res.Ops, out.res.Unknown, out.res.StaleReads, nem.faults, strings.Join(kinds, " "),
		out.res.Verdict, lastErr == nil)
	if !out.res.OK() {
		t.Errorf("seed %d: the history is not correct: %s%s", seed, out.res, saveHistory(t, seed, out.res, calls))
	}
	// The check above cannot pass silently: the same pipeline, fed a read
	// from a cut-off server, must say so.
	if lastErr == nil {
		if err := w.plantedBugCaught(seed); err != nil {
			t.Errorf("seed %d: planted bug: %v", seed, err)
		} else {
			fmt.Printf("FAULTS seed=%d planted stale read through a cut-off server: caught\n", seed)
		}
	}
	return out
}

// finalReads reads every job through every server once the cluster has
// converged, so that a write lost at the end is caught too.
func (w *workload) finalReads() {
	for _, s := range w.d.servers {
		for _, k := range w.keys {
			call := faults.Call{Worker: 99, Agent: s.name, In: faults.Input{Kind: faults.Read, Key: k}, Start: w.rec.Now()}
			out, err := w.do(s, call.In, 1)
			call.End, call.Out = w.rec.Now(), out
			if err != nil {
				call.Out.Unknown, call.Err = true, err.Error()
			}
			w.rec.Add(call)
		}
	}
}

// saveHistory writes porcupine's view of a bad history and the raw calls,
// and returns a note saying where.
func saveHistory(t *testing.T, seed uint64, res faults.Result, calls []faults.Call) string {
	dir := os.Getenv(envOut)
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "appmesh-faults-"); err != nil {
			return fmt.Sprintf(" (cannot save the history: %v)", err)
		}
	}
	html := filepath.Join(dir, fmt.Sprintf("seed-%d.html", seed))
	if err := faults.Visualize(res, html); err != nil {
		return fmt.Sprintf(" (cannot save the history: %v)", err)
	}
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "%d %s %s %s %d %+v %d %q\n", c.Worker, c.Agent, c.In.Kind, c.In.Key, c.In.V, c.Out, c.Start, c.Err)
	}
	raw := filepath.Join(dir, fmt.Sprintf("seed-%d.calls", seed))
	if err := os.WriteFile(raw, []byte(b.String()), 0o644); err != nil {
		return fmt.Sprintf(" (cannot save the calls: %v)", err)
	}
	return fmt.Sprintf("\nhistory: %s, calls: %s", html, raw)
}

// startFaultCluster starts n servers and two clients on a fresh
// network and returns the clients' memory by node name.
func startFaultCluster(t *testing.T, d *dockerCluster, n int) map[string]int {
	d.buildImage()
	d.createNetwork()
	for i := 1; i <= n; i++ {
		d.servers = append(d.servers, &dockerAgent{name: fmt.Sprintf("s%d", i), ip: fmt.Sprintf("%s.%d", d.subnet, 10+i)})
	}
	for i, s := range d.servers {
		s.args = []string{"agent", "-server", "-bootstrap-expect", strconv.Itoa(n), "-bind", "0.0.0.0",
			"-data-dir", "/data", "-node", s.name,
			"-join", d.servers[0].ip + ":6062", "-join", d.servers[(i+1)%n].ip + ":6062"}
		d.run(s)
	}
	for i := 1; i <= 2; i++ {
		c := &dockerAgent{name: fmt.Sprintf("c%d", i), ip: fmt.Sprintf("%s.%d", d.subnet, 20+i), client: true}
		c.args = []string{"agent", "-client", "-bind", "0.0.0.0", "-data-dir", "/data", "-node", c.name, "-config", "/client.hcl"}
		for _, s := range d.servers {
			c.args = append(c.args, "-servers", s.rpcAddr())
		}
		d.clients = append(d.clients, c)
		d.run(c)
	}
	leader := d.waitLeader(d.servers, "")
	nodes := waitNodesReady(t, leader.api, "c1", "c2")
	mem := map[string]int{}
	for name, n := range nodes {
		mem[name] = n.Resources.Memory
	}
	return mem
}
