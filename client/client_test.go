package client

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/rawexec"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func testLogger(t *testing.T) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: testWriter{t}})
}

// newTestClient starts a client with the in-process raw_exec driver against
// srv; it is shut down when the test ends.
func newTestClient(t *testing.T, srv *testServer, dataDir string) *Client {
	t.Helper()
	logger := testLogger(t)
	c, err := New(&Config{
		NodeName:       "test-node",
		DataDir:        dataDir,
		RawExecEnabled: true,
		Logger:         logger,
		RPC:            srv,
		Drivers:        NewInProcessDriverManager(map[string]drivers.Driver{rawexec.Name: rawexec.New(logger)}),
		// The in-process driver dies with the test: nothing could re-attach.
		KillTasksOnShutdown: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Shutdown() })
	return c
}

// shJob is a one-task raw_exec job running sh -c script, never restarted.
func shJob(id, script string) *structs.Job {
	noRestart := 0
	return &structs.Job{ID: id, Namespace: structs.DefaultNamespace, Groups: []*structs.TaskGroup{{
		Name: "g", Count: 1, Restart: &structs.RestartPolicy{Attempts: &noRestart}, Tasks: []*structs.Task{{
			Name: "web", Driver: rawexec.Name, KillTimeout: structs.Duration(2 * time.Second),
			Config: map[string]any{"command": "/bin/sh", "args": []any{"-c", script}},
		}},
	}}}
}

func newAlloc(c *Client, job *structs.Job) *structs.Allocation {
	return &structs.Allocation{
		ID: structs.GenerateID(), Namespace: job.Namespace, JobID: job.ID, JobVersion: job.Version,
		TaskGroup: "g", NodeID: c.NodeID(), DesiredStatus: structs.AllocDesiredRun,
		ClientStatus: structs.AllocClientPending,
	}
}

func statusIs(srv *testServer, id, status string) func() bool {
	return func() bool { return srv.alloc(id).ClientStatus == status }
}

// taskPID reads the PID a test task wrote into its task dir.
func taskPID(t *testing.T, c *Client, allocID string) string {
	t.Helper()
	dir, _ := allocdir.New(c.cfg.DataDir, allocID)
	var pid string
	waitFor(t, "pid file", func() bool {
		b, err := os.ReadFile(dir.TaskDir("web") + "/pid")
		pid = strings.TrimSpace(string(b))
		return err == nil && pid != ""
	})
	return pid
}

func processGone(pid string) func() bool {
	return func() bool {
		b, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			return true
		}
		f := strings.Fields(string(b))
		return len(f) > 2 && f[2] == "Z"
	}
}

func TestClient_RunAndStopAllocation(t *testing.T) {
	srv := newTestServer(t)
	c := newTestClient(t, srv, t.TempDir())
	waitFor(t, "registration", func() bool { r, _ := srv.counts(); return r == 1 })

	srv.mu.Lock()
	node := srv.nodes[c.NodeID()].Copy()
	srv.mu.Unlock()
	if node == nil || node.Name != "test-node" || node.Drivers[rawexec.Name] == nil || !node.Drivers[rawexec.Name].Detected {
		t.Fatalf("registered node: %+v", node)
	}
	job := shJob("sleeper", `echo $$ > "$APPMESH_TASK_DIR/pid"; exec sleep 600`)
	srv.addJob(job)
	alloc := newAlloc(c, job)
	srv.upsertAlloc(alloc)

	waitFor(t, "alloc running", statusIs(srv, alloc.ID, structs.AllocClientRunning))
	pid := taskPID(t, c, alloc.ID)
	if ts := srv.alloc(alloc.ID).TaskStates["web"]; ts == nil || ts.State != structs.TaskStateRunning {
		t.Fatalf("task state: %+v", ts)
	}

	srv.setDesired(alloc.ID, structs.AllocDesiredStop)
	waitFor(t, "alloc complete", statusIs(srv, alloc.ID, structs.AllocClientComplete))
	waitFor(t, "process "+pid+" gone", processGone(pid))
	ts := srv.alloc(alloc.ID).TaskStates["web"]
	if ts.State != structs.TaskStateDead || ts.Failed {
		t.Fatalf("task state after stop: %+v", ts)
	}

	srv.deleteAlloc(alloc.ID)
	waitFor(t, "runner removed", func() bool { return c.runner(alloc.ID) == nil })
}

func TestClient_FailedTaskAndRemovedAlloc(t *testing.T) {
	srv := newTestServer(t)
	c := newTestClient(t, srv, t.TempDir())
	job := shJob("failing", `echo bye; exit 3`)
	srv.addJob(job)
	alloc := newAlloc(c, job)
	srv.upsertAlloc(alloc)
	waitFor(t, "alloc failed", statusIs(srv, alloc.ID, structs.AllocClientFailed))
	ts := srv.alloc(alloc.ID).TaskStates["web"]
	if ts.ExitCode == nil || *ts.ExitCode != 3 || !ts.Failed {
		t.Fatalf("task state: %+v", ts)
	}

	// A missing job version fails the allocation instead of retrying.
	orphan := newAlloc(c, job)
	orphan.JobVersion = 7
	srv.upsertAlloc(orphan)
	waitFor(t, "orphan failed", statusIs(srv, orphan.ID, structs.AllocClientFailed))
	if d := srv.alloc(orphan.ID).ClientDescription; !strings.Contains(d, "version 7") {
		t.Fatalf("description %q", d)
	}
}

func TestClient_ShutdownKillsTasks(t *testing.T) {
	srv := newTestServer(t)
	c := newTestClient(t, srv, t.TempDir())
	job := shJob("sleeper", `echo $$ > "$APPMESH_TASK_DIR/pid"; exec sleep 600`)
	srv.addJob(job)
	alloc := newAlloc(c, job)
	srv.upsertAlloc(alloc)
	waitFor(t, "alloc running", statusIs(srv, alloc.ID, structs.AllocClientRunning))
	pid := taskPID(t, c, alloc.ID)

	if err := c.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if !processGone(pid)() {
		t.Fatalf("process %s survived Shutdown", pid)
	}
	// The kill is not reported: the agent is going away, not the work, so
	// the servers keep the allocation running and a restarted agent runs it.
	if s := srv.alloc(alloc.ID).ClientStatus; s != structs.AllocClientRunning {
		t.Fatalf("status after shutdown %q, want it left at running", s)
	}
}

func TestClient_ReregistersWhenForgotten(t *testing.T) {
	srv := newTestServer(t)
	c := newTestClient(t, srv, t.TempDir())
	waitFor(t, "heartbeat", func() bool { _, h := srv.counts(); return h >= 1 })
	srv.forgetNode(c.NodeID())
	waitFor(t, "second registration", func() bool { r, _ := srv.counts(); return r >= 2 })
}

func TestClient_NodeIDPersists(t *testing.T) {
	dir := t.TempDir()
	srv := newTestServer(t)
	newClient := func(dataDir string) *Client {
		c, err := New(&Config{DataDir: dataDir, RPC: srv, Drivers: NewInProcessDriverManager(nil)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Shutdown() })
		return c
	}
	a := newClient(dir)
	if _, err := New(&Config{DataDir: dir, RPC: srv, Drivers: NewInProcessDriverManager(nil)}); err == nil || !strings.Contains(err.Error(), "locked by another agent") {
		t.Fatalf("second client on a data dir in use: want a lock error, got %v", err)
	}
	a.Shutdown()
	b := newClient(dir)
	if a.NodeID() == "" || a.NodeID() != b.NodeID() {
		t.Fatalf("node IDs differ across restarts: %q vs %q", a.NodeID(), b.NodeID())
	}
	if other := newClient(t.TempDir()); other.NodeID() == a.NodeID() {
		t.Fatal("two data dirs share a node ID")
	}
	if n := a.Node(); n.ID != a.NodeID() || n.Resources.CPU <= 0 || n.Datacenter != structs.DefaultDatacenter {
		t.Fatalf("node: %+v", n)
	}
}

func TestClient_NewErrors(t *testing.T) {
	if _, err := New(&Config{RPC: newTestServer(t)}); err == nil {
		t.Fatal("want an error without a data dir")
	}
	if _, err := New(&Config{DataDir: t.TempDir()}); err == nil {
		t.Fatal("want an error without RPC")
	}
}

func TestClient_RawExecDisabled(t *testing.T) {
	srv := newTestServer(t)
	c, err := New(&Config{
		DataDir: t.TempDir(), RPC: srv,
		Drivers: NewInProcessDriverManager(map[string]drivers.Driver{rawexec.Name: rawexec.New(hclog.NewNullLogger())}),
	})
	if err != nil {
		t.Fatal(err)
	}
	c.fingerprintDrivers()
	n := c.Node()
	if d := n.Drivers[rawexec.Name]; d == nil || d.Detected || !strings.HasPrefix(d.HealthDescription, "disabled") {
		t.Fatalf("raw_exec: %+v", d)
	}
	if _, ok := n.Attributes["driver.raw_exec"]; ok {
		t.Fatal("disabled driver advertised")
	}
	if _, err := c.taskDrivers().Dispense(rawexec.Name); err == nil {
		t.Fatal("disabled raw_exec dispensed")
	}
	c.Shutdown()
}
