package client

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/client/state"
	"github.com/appmesh/appmesh/drivers/rawexec"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// testAgentArg re-executes the test binary as an agent-like process: a
// client with real plugin subprocesses, its own in-memory test server,
// one allocation; it prints READY once the task runs and then waits to be
// killed.
const testAgentArg = "test-agent"

// surviveScript runs until a "stop" file appears, then exits 42: a test
// can end the task while no agent runs.
const surviveScript = `echo $$ > "$APPMESH_TASK_DIR/pid"; i=0; ` +
	`while [ ! -f "$APPMESH_TASK_DIR/stop" ]; do i=$((i+1)); echo "tick $i"; sleep 0.05; done; exit 42`

func surviveJob() *structs.Job { return shJob("survivor", surviveScript) }

func surviveAlloc(id, nodeID string, job *structs.Job) *structs.Allocation {
	return &structs.Allocation{
		ID: id, Namespace: job.Namespace, JobID: job.ID, JobVersion: job.Version, TaskGroup: "g",
		NodeID: nodeID, DesiredStatus: structs.AllocDesiredRun, ClientStatus: structs.AllocClientPending,
	}
}

func runTestAgent(dataDir, allocID, _ string) int {
	srv := newBareTestServer()
	logger := hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: os.Stderr})
	c, err := New(&Config{DataDir: dataDir, RPC: srv, RawExecEnabled: true, Logger: logger})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := c.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	job := surviveJob()
	srv.addJob(job)
	srv.upsertAlloc(surviveAlloc(allocID, c.NodeID(), job))
	for srv.alloc(allocID).ClientStatus != structs.AllocClientRunning {
		time.Sleep(5 * time.Millisecond)
	}
	fmt.Println("READY")
	select {} // until kill -9
}

// startAndKillAgent runs a test agent until its task runs, then kill -9s it.
// It returns the task's pid; the task and the raw_exec plugin survive.
func startAndKillAgent(t *testing.T, dataDir, allocID string) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], testAgentArg, dataDir, allocID, "-")
	cmd.Stderr = testWriter{t}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { killSavedPlugin(t, dataDir) })
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		if strings.TrimSpace(line) != "READY" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("test agent did not get ready: %q", line)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("test agent did not get ready within 30s")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	dir, _ := allocdir.New(dataDir, allocID)
	b, err := os.ReadFile(filepath.Join(dir.TaskDir("web"), "pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 || processGone(strconv.Itoa(pid))() {
		t.Fatalf("task (pid %d) did not survive kill -9 of its agent", pid)
	}
	return pid
}

// killSavedPlugin kills a plugin a failed test may have left behind.
func killSavedPlugin(t *testing.T, dataDir string) {
	db, err := state.Open(dataDir)
	if err != nil {
		return
	}
	defer db.Close()
	if rec, _ := db.Driver(rawexec.Name); rec != nil && rec.Pid > 0 {
		t.Logf("killing leftover plugin %d", rec.Pid)
		syscall.Kill(rec.Pid, syscall.SIGKILL)
	}
}

// newRestartedClient is the agent that comes back on the same data dir.
func newRestartedClient(t *testing.T, srv *testServer, dataDir, allocID string) *Client {
	t.Helper()
	c, err := New(&Config{DataDir: dataDir, RPC: srv, RawExecEnabled: true, Logger: testLogger(t), KillTasksOnShutdown: true})
	if err != nil {
		t.Fatal(err)
	}
	job := surviveJob()
	srv.addJob(job)
	srv.upsertAlloc(surviveAlloc(allocID, c.NodeID(), job))
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Shutdown() })
	return c
}

// TestClient_SurvivesKill9 kills an agent with SIGKILL: its task keeps
// running, a new agent on the same data dir re-attaches to it (same
// process, no restart), keeps reading its output, and still stops it.
func TestClient_SurvivesKill9(t *testing.T) {
	dataDir, allocID := t.TempDir(), structs.GenerateID()
	pid := startAndKillAgent(t, dataDir, allocID)

	srv := newTestServer(t)
	c := newRestartedClient(t, srv, dataDir, allocID)
	waitFor(t, "re-attached", func() bool {
		ts := srv.alloc(allocID).TaskStates["web"]
		return ts != nil && ts.State == structs.TaskStateRunning && hasTaskEvent(ts, "Re-attached")
	})
	if ts := srv.alloc(allocID).TaskStates["web"]; ts.Restarts != 0 {
		t.Fatalf("task was restarted instead of re-attached: %+v", ts)
	}
	if processGone(strconv.Itoa(pid))() {
		t.Fatal("task died on re-attach")
	}
	var out strings.Builder
	if err := c.StreamLogs(t.Context(), allocID, "web", allocdir.LogStdout, false, -64, &out); err != nil || !strings.Contains(out.String(), "tick") {
		t.Fatalf("logs after re-attach: %q, %v", out.String(), err)
	}
	srv.setDesired(allocID, structs.AllocDesiredStop)
	waitFor(t, "alloc complete", statusIs(srv, allocID, structs.AllocClientComplete))
	waitFor(t, "task process gone", processGone(strconv.Itoa(pid)))
}

// TestClient_TaskDiedWhileAgentAway ends the task while no agent runs: the
// next agent reports the exit code the surviving plugin saw.
func TestClient_TaskDiedWhileAgentAway(t *testing.T) {
	dataDir, allocID := t.TempDir(), structs.GenerateID()
	pid := startAndKillAgent(t, dataDir, allocID)
	dir, _ := allocdir.New(dataDir, allocID)
	if err := os.WriteFile(filepath.Join(dir.TaskDir("web"), "stop"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "task exit", processGone(strconv.Itoa(pid)))

	srv := newTestServer(t)
	newRestartedClient(t, srv, dataDir, allocID)
	waitFor(t, "alloc failed", statusIs(srv, allocID, structs.AllocClientFailed))
	ts := srv.alloc(allocID).TaskStates["web"]
	if ts.State != structs.TaskStateDead || ts.ExitCode == nil || *ts.ExitCode != 42 {
		t.Fatalf("want dead with exit code 42, got %+v", ts)
	}
}

func hasTaskEvent(ts *structs.TaskState, typ string) bool {
	for _, e := range ts.Events {
		if e.Type == typ {
			return true
		}
	}
	return false
}
