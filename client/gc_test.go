package client

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/rawexec"
	"github.com/appmesh/appmesh/server"
	"github.com/appmesh/appmesh/structs"
)

// startGCClient is startRealClient with a garbage collection config.
func startGCClient(t *testing.T, srv *server.Server, gc GCConfig) *Client {
	t.Helper()
	logger := testLogger(t)
	c, err := New(&Config{NodeName: "gc-node", DataDir: t.TempDir(), RawExecEnabled: true, Logger: logger, RPC: srv,
		Drivers:             NewInProcessDriverManager(map[string]drivers.Driver{rawexec.Name: rawexec.New(logger)}),
		KillTasksOnShutdown: true, GC: gc})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Shutdown() })
	return c
}

// runBatch runs a one-allocation batch job to completion and returns its
// allocation.
func runBatch(t *testing.T, srv *server.Server, id string) *structs.Allocation {
	t.Helper()
	job := shJob(id, "echo done")
	job.Type = structs.JobTypeBatch
	register(t, srv, job)
	var done *structs.Allocation
	waitLong(t, id+" complete", func() bool {
		for _, a := range jobAllocs(t, srv, id) {
			if a.ClientStatus == structs.AllocClientComplete {
				done = a
				return true
			}
		}
		return false
	})
	return done
}

func allocDirOf(t *testing.T, c *Client, id string) string {
	t.Helper()
	d, err := allocdir.New(c.cfg.DataDir, id)
	if err != nil {
		t.Fatal(err)
	}
	return d.Dir
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func inStateDB(t *testing.T, c *Client, id string) bool {
	t.Helper()
	recs, errs := c.db.Allocs()
	if len(errs) > 0 {
		t.Fatalf("read client state: %v", errs)
	}
	for _, r := range recs {
		if r.Alloc.ID == id {
			return true
		}
	}
	return false
}

// A finished allocation keeps its directory (logs) while the servers list
// it; once they collect it, the client removes the directory and forgets
// it in its state database.
func TestClientGC_RemovesWhatTheServersCollected(t *testing.T) {
	srv := startRealServer(t)
	c := startGCClient(t, srv, GCConfig{Interval: time.Hour})
	done := runBatch(t, srv, "once")
	dir := allocDirOf(t, c, done.ID)
	log := filepath.Join(dir, "alloc", "logs", "web.stdout.0")
	waitLong(t, "the task's log written", func() bool { return exists(log) })
	if !inStateDB(t, c, done.ID) {
		t.Fatal("the finished allocation is not in the client state")
	}

	var reply structs.SystemGCResponse
	if err := srv.RPC(structs.SystemGCRPC, &structs.SystemGCRequest{}, &reply); err != nil {
		t.Fatal(err)
	}
	if reply.Collected.Allocs != 1 {
		t.Fatalf("the servers collected %+v, want the allocation", reply.Collected)
	}
	waitLong(t, "the allocation directory removed", func() bool { return !exists(dir) })
	waitLong(t, "the allocation forgotten in the client state", func() bool { return !inStateDB(t, c, done.ID) })
	if c.runner(done.ID) != nil {
		t.Fatal("the runner of the collected allocation is still there")
	}
}

// Above the disk usage threshold, finished allocations the servers still
// list are removed oldest first, and only while the disk stays too full;
// running ones are never touched, and a removed one is never started
// again.
func TestClientGC_DiskThresholdRemovesOldestFinishedFirst(t *testing.T) {
	srv := startRealServer(t)
	var full atomic.Int32 // collections still to answer "disk full" to
	usage := func(string) (float64, error) {
		if full.Add(-1) >= 0 {
			return 95, nil
		}
		return 10, nil
	}
	c := startGCClient(t, srv, GCConfig{Interval: 50 * time.Millisecond, DiskUsageThreshold: 90, DiskUsage: usage})
	older := runBatch(t, srv, "older")
	newer := runBatch(t, srv, "newer")
	live := shJob("live", "exec sleep 600")
	live.Type = structs.JobTypeService
	register(t, srv, live)
	waitLong(t, "the service running", func() bool {
		a := jobAllocs(t, srv, "live")
		return len(a) == 1 && a[0].ClientStatus == structs.AllocClientRunning
	})
	for _, a := range []*structs.Allocation{older, newer} {
		if !exists(allocDirOf(t, c, a.ID)) {
			t.Fatalf("allocation %s has no directory before the disk fills", a.JobID)
		}
	}

	full.Store(1) // one check says full: exactly one allocation goes
	waitLong(t, "the oldest finished allocation removed", func() bool { return !exists(allocDirOf(t, c, older.ID)) })
	time.Sleep(300 * time.Millisecond) // several more passes, with the disk fine
	if !exists(allocDirOf(t, c, newer.ID)) {
		t.Fatal("the newer finished allocation was removed although the disk was below the threshold again")
	}
	if inStateDB(t, c, older.ID) {
		t.Fatal("the removed allocation is still in the client state")
	}

	full.Store(1000) // the disk stays full: every finished one goes, the running one stays
	waitLong(t, "the newer finished allocation removed", func() bool { return !exists(allocDirOf(t, c, newer.ID)) })
	liveAlloc := jobAllocs(t, srv, "live")[0]
	if !exists(allocDirOf(t, c, liveAlloc.ID)) || c.runner(liveAlloc.ID) == nil {
		t.Fatal("a running allocation was collected")
	}
	// The servers still list both finished allocations: they stay gone.
	if len(jobAllocs(t, srv, "older")) != 1 {
		t.Fatal("the servers no longer list the older allocation; the test needs them to")
	}
	time.Sleep(300 * time.Millisecond)
	for _, a := range []*structs.Allocation{older, newer} {
		if c.runner(a.ID) != nil || exists(allocDirOf(t, c, a.ID)) {
			t.Fatalf("collected allocation %s came back", a.JobID)
		}
	}
}

// Beyond gc_max_allocs, finished allocations are removed oldest first
// down to the limit, whatever the disk.
func TestClientGC_MaxAllocs(t *testing.T) {
	srv := startRealServer(t)
	c := startGCClient(t, srv, GCConfig{Interval: 50 * time.Millisecond, MaxAllocs: 1,
		DiskUsage: func(string) (float64, error) { return 1, nil }})
	first := runBatch(t, srv, "first")
	second := runBatch(t, srv, "second")
	waitLong(t, "the older allocation removed", func() bool { return !exists(allocDirOf(t, c, first.ID)) })
	time.Sleep(300 * time.Millisecond)
	if !exists(allocDirOf(t, c, second.ID)) {
		t.Fatal("the newest allocation was removed although the node is at its limit")
	}
}

// An allocation directory without a record (a crash between forgetting an
// allocation and removing its directory) is removed at start.
func TestClientGC_SweepsOrphanDirsAtStart(t *testing.T) {
	srv := startRealServer(t)
	dataDir := t.TempDir()
	orphan := filepath.Join(allocdir.AllocsRoot(dataDir), structs.GenerateID())
	if err := os.MkdirAll(filepath.Join(orphan, "alloc", "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	logger := testLogger(t)
	c, err := New(&Config{NodeName: "gc-node", DataDir: dataDir, RawExecEnabled: true, Logger: logger, RPC: srv,
		Drivers:             NewInProcessDriverManager(map[string]drivers.Driver{rawexec.Name: rawexec.New(logger)}),
		KillTasksOnShutdown: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Shutdown() })
	if exists(orphan) {
		t.Fatal("the orphan allocation directory survived the start")
	}
}
