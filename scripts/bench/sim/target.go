package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// target is the servers a run drives: in this process (cluster.go) or,
// with -procs, as separate agent processes (procs.go) whose leadership a
// raftWatch samples.
type target struct {
	httpURL  string
	rpcAddrs []string
	inproc   *cluster     // nil with -procs
	procs    *procCluster // nil without -procs
	watch    *raftWatch
	// stopWatch ends the sampling and waits for it.
	stopWatch func()
}

func startTarget(ctx context.Context, o *options) (*target, error) {
	if !o.procs {
		c, err := startCluster(o.servers, o.schedulers, o.logLevel, o.dataDir)
		if err != nil {
			return nil, err
		}
		return &target{httpURL: c.httpURL, rpcAddrs: c.rpcAddrs, inproc: c}, nil
	}
	pc, err := startProcCluster(ctx, o.bin, o.servers,
		procTuning{schedulers: o.schedulers, raftMultiplier: o.raftMult, cgroup: o.srvCgroup, cgroupShares: o.srvShares}, o.logLevel, o.dataDir)
	if err != nil {
		return nil, err
	}
	t := &target{httpURL: pc.servers[0].httpURL, rpcAddrs: pc.rpcAddrs(), procs: pc,
		watch: newRaftWatch(pc, o.raftSample)}
	// The watch starts once all servers agree on the first leader: from
	// here on, any change of leader counts against the run.
	wctx, cancel := context.WithCancel(ctx)
	wait := t.watch.run(wctx)
	t.stopWatch = func() { cancel(); wait() }
	return t, nil
}

// finish stops the watch and fills the server-side figures of the report.
func (t *target) finish(r *report) {
	if t.inproc != nil {
		if l := t.inproc.leader(); l != nil {
			r.serverRunning, r.serverAllocs, r.serverOthers = countRunning(l)
		}
		return
	}
	// One last sample after the run, so the counts are the final ones.
	for i := range t.procs.servers {
		t.watch.sampleOne(context.Background(), i)
	}
	t.stopWatch()
	r.raft = t.watch.summary()
	r.serverRunning, r.serverAllocs = r.raft.leaderRunning()
	for _, ps := range t.procs.servers {
		r.procs = append(r.procs, readProcUsage(ps))
	}
}

// shutdown stops the servers. With -procs, a run whose leadership changed
// keeps its data and logs for a look, even in a temporary directory.
func (t *target) shutdown(r *report) {
	if t.inproc != nil {
		t.inproc.Shutdown()
		return
	}
	if t.stopWatch != nil {
		t.stopWatch()
	}
	if r != nil && r.raft != nil && !r.raft.holdsOneLeader() && !t.procs.keepRoot {
		t.procs.keepRoot = true
		logf("leadership changed: server data dirs and logs kept under %s", t.procs.root)
	}
	t.procs.Shutdown()
}

// procUsage is what one server process used, from /proc.
type procUsage struct {
	name   string
	cpu    time.Duration // user + system
	vmHWM  uint64
	logDir string
}

// readProcUsage reads a running server's CPU time and resident peak.
func readProcUsage(ps *procServer) procUsage {
	u := procUsage{name: ps.name, logDir: ps.dir}
	if ps.cmd == nil || ps.cmd.Process == nil {
		return u
	}
	dir := "/proc/" + strconv.Itoa(ps.cmd.Process.Pid)
	u.vmHWM, _ = procStatus(dir + "/status")
	u.cpu = procCPU(dir + "/stat")
	return u
}

// procCPU reads utime + stime from a /proc/<pid>/stat file. The clock
// tick is 100 Hz on Linux for every architecture Go supports there.
func procCPU(path string) time.Duration {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	// After ')', field 3 (state) is f[0]; utime and stime are fields 14, 15.
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func printProcs(w io.Writer, procs []procUsage) {
	for _, u := range procs {
		fmt.Fprintf(w, "  %s process: CPU %v, VmHWM %s\n", u.name, u.cpu.Round(100*time.Millisecond), mb(u.vmHWM))
	}
}
