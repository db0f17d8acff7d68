package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testLog sends the run's progress lines to the test log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestShortClientRestarts is the short version of the long run in
// `make test`: 10 kill -9/restart cycles of a client agent with each kind
// of added fault at least once. Every wait is on a condition (bounded
// only to keep a broken run from hanging), so a busy machine makes it
// slower, not red.
func TestShortClientRestarts(t *testing.T) {
	bin := os.Getenv("APPMESH_BIN")
	if bin == "" {
		t.Skip("APPMESH_BIN is not set: this test runs the built agent (make test sets it; or `make build` and APPMESH_BIN=$PWD/bin/appmesh)")
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	res, err := run(context.Background(), options{
		bin: bin, cycles: 10, dir: dir, log: testLog{t},
		taskKillEvery: 3, pluginKillEvery: 4, earlyKillEvery: 5, maxUptime: time.Second,
	})
	t.Log(res.summary())
	if err != nil {
		t.Fatalf("client restart cycles: %v", err)
	}
	if res.done != 10 || res.taskKills == 0 || res.pluginKills == 0 || res.earlyKills == 0 {
		t.Fatalf("ran %d cycles with %d task kills, %d plugin kills, %d kills while restoring; want 10 with each fault",
			res.done, res.taskKills, res.pluginKills, res.earlyKills)
	}
}

// The leak check must be able to fail: a plugin whose fds grow, or agent
// goroutines that grow from the first cycles to the last, are reported.
func TestLeakReportCatchesGrowth(t *testing.T) {
	var res result
	for i := 0; i < 20; i++ {
		res.samples = append(res.samples, sample{agentGoroutines: 50 + i*5, agentFDs: 20, plugins: map[int]int{7: 30 + i}})
	}
	leaks := res.leakReport()
	if len(leaks) != 2 || !strings.Contains(leaks[0], "agent goroutines grew") || !strings.Contains(leaks[1], "plugin 7 fds grew") {
		t.Fatalf("leaks = %q", leaks)
	}
	res.samples = res.samples[:1]
	for i := 0; i < 20; i++ {
		res.samples = append(res.samples, sample{agentGoroutines: 56, agentFDs: 21, plugins: map[int]int{7: 31}})
	}
	if leaks := res.leakReport(); len(leaks) != 0 {
		t.Fatalf("steady samples reported as leaks: %q", leaks)
	}
}
