package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseMetrics(t *testing.T) {
	text := `# HELP appmesh_raft_state x
appmesh_raft_state{state="candidate"} 0
appmesh_raft_state{state="leader"} 1
appmesh_raft_index{kind="commit_index"} 99
appmesh_raft_index{kind="term"} 7
appmesh_raft_leader_changes_total 3
appmesh_raft_last_contact_seconds 0.042
go_gc_duration_seconds{quantile="1"} 0.0125
appmesh_raft_apply_seconds_sum{type="JobRegister"} 1.5
appmesh_raft_apply_seconds_count{type="JobRegister"} 10
appmesh_raft_apply_seconds_sum{type="AllocClientUpdate"} 0.5
appmesh_raft_apply_seconds_count{type="AllocClientUpdate"} 30
go_sched_latencies_seconds_bucket{le="0.0009175039999999999"} 900
go_sched_latencies_seconds_bucket{le="0.010485759999999998"} 970
go_sched_latencies_seconds_bucket{le="0.11744051199999998"} 995
go_sched_latencies_seconds_bucket{le="+Inf"} 1000
go_sched_latencies_seconds_count 1000
appmesh_allocations{client_status="pending"} 5
appmesh_allocations{client_status="running"} 95
not a metric line
`
	s, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	want := metricSample{ok: true, leader: true, term: 7, leaderChanges: 3, lastContact: 0.042, gcPause: 0.0125,
		applySum: 2, applyCount: 40, allocsRunning: 95, allocsTotal: 100,
		schedCount: 1000, schedOver10ms: 30, schedOver117ms: 5}
	if s != want {
		t.Fatalf("parsed %+v\nwant   %+v", s, want)
	}
}

func TestRaftSummaryVerdict(t *testing.T) {
	w := &raftWatch{stats: []*serverWatch{
		{name: "a", first: metricSample{ok: true, term: 2, leaderChanges: 1}, last: metricSample{ok: true, term: 2, leaderChanges: 1}, leaderSamples: 5},
		{name: "b", first: metricSample{ok: true, term: 2, leaderChanges: 1}, last: metricSample{ok: true, term: 2, leaderChanges: 1}},
	}}
	if r := w.summary(); !r.holdsOneLeader() {
		t.Fatalf("steady cluster judged unstable: %+v", r)
	}
	w.stats[1].last.term = 3
	if r := w.summary(); r.holdsOneLeader() || r.termChanges != 1 {
		t.Fatalf("a term change went unseen: %+v", r)
	}
	w.stats[1].last.term = 2
	w.stats[1].leaderSamples = 1
	if r := w.summary(); r.holdsOneLeader() || len(r.leaders) != 2 {
		t.Fatalf("a second leader went unseen: %+v", r)
	}
}

func TestProcCPU(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stat")
	// Field 2 holds spaces and a ')'; utime 250 and stime 50 ticks.
	line := "123 (app mesh) x) S 1 1 1 0 -1 0 0 0 0 0 250 50 0 0 20 0\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := procCPU(path); got != 3*time.Second {
		t.Fatalf("cpu = %v, want 3s", got)
	}
	if got := procCPU(filepath.Join(t.TempDir(), "missing")); got != 0 {
		t.Fatalf("missing file: %v", got)
	}
}

// TestProcsSmoke runs the -procs mode end to end with a tiny load: three
// real agent processes on BoltDB, 20 simulated nodes, 200 allocations.
func TestProcsSmoke(t *testing.T) {
	bin := agentBinary(t)
	o, err := parseFlags([]string{"-servers", "3", "-procs", "-bin", bin, "-nodes", "20", "-allocs", "200",
		"-job-size", "50", "-register-parallel", "8", "-conns", "2", "-raft-sample", "200ms", "-timeout", "5m",
		"-data-dir", t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var got *report
	o.onReport = func(r *report) { got = r }
	if err := run(o); err != nil {
		t.Fatalf("run: %v", err)
	}
	if got == nil || got.raft == nil {
		t.Fatal("no report with a raft summary")
	}
	if got.placed != 200 || got.running != 200 || got.serverRunning != 200 || got.serverAllocs != 200 {
		t.Fatalf("placed %d, acknowledged %d, leader's state %d of %d running; want 200 each",
			got.placed, got.running, got.serverRunning, got.serverAllocs)
	}
	if len(got.raft.servers) != 3 || len(got.procs) != 3 {
		t.Fatalf("watched %d servers, usage of %d; want 3", len(got.raft.servers), len(got.procs))
	}
	for _, st := range got.raft.servers {
		if st.samples == 0 || !st.last.ok || st.last.term < 1 {
			t.Fatalf("%s: %d samples, last %+v: the watch read nothing", st.name, st.samples, st.last)
		}
	}
	if len(got.raft.leaders) == 0 {
		t.Fatal("no server was seen leading")
	}
	// A change of leader is a benchmark finding, not a test failure: on a
	// loaded machine the base 300 ms timing can be missed.
	t.Logf("leadership held: %v (leaders %v)", got.raft.holdsOneLeader(), got.raft.leaders)
}

// agentBinary returns $APPMESH_BIN (set by make test) or builds the agent.
func agentBinary(t *testing.T) string {
	if bin := os.Getenv("APPMESH_BIN"); bin != "" {
		return bin
	}
	t.Log("APPMESH_BIN not set: building the agent")
	out := filepath.Join(t.TempDir(), "appmesh")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "github.com/appmesh/appmesh")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatal(fmt.Sprintf("build the agent: %v\n%s", err, b))
	}
	return out
}
