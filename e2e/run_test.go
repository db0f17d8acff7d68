package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runWithStdin runs `appmesh run -address <agent> <args...>` with stdin.
func (a *agent) runWithStdin(stdin string, args ...string) cliResult {
	a.t.Helper()
	return runCLIWithStdin(a.t, stdin, append([]string{"run", "-address", a.addr}, args...)...)
}

// TestRemoteRun: stdin reaches the command, stdout and stderr come back
// separately and the CLI exits with the command's exit code.
func TestRemoteRun(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true})
	res := a.runWithStdin("hello\n", "--", "/bin/sh", "-c", "read x; echo got:$x; echo err >&2; exit 7")
	if res.code != 7 || !strings.Contains(res.stdout, "got:hello") || strings.Contains(res.stdout, "err") || !strings.Contains(res.stderr, "err") {
		a.fatalf("sync run: want stdout got:hello, stderr err, exit 7; got %s", res)
	}
	// The argv is passed as argv, not through a shell.
	res = a.runWithStdin("", "--", "/bin/echo", "a b", "$HOME;x")
	if res.code != 0 || res.stdout != "a b $HOME;x\n" {
		a.fatalf("argv run: %s", res)
	}
	res = a.runWithStdin("hi\n", "--", "cat")
	if res.code != 0 || res.stdout != "hi\n" {
		a.fatalf("echo hi | appmesh run -- cat: %s", res)
	}
	res = a.runWithStdin("", "--", "/nonexistent/cmd")
	if res.code != 1 || !strings.Contains(res.stderr, "/nonexistent/cmd") {
		a.fatalf("a command that cannot start: want exit 1 with a message, got %s", res)
	}
}

// TestRemoteRunAsync: -async prints an ID; -attach and GET /v1/run/<id>
// return the output from an offset and the exit code.
func TestRemoteRunAsync(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true})
	res := a.runWithStdin("", "-async", "--", "/bin/sh", "-c", "echo a; sleep 2; echo b; echo e >&2; exit 3")
	id := strings.TrimSpace(res.stdout)
	if res.code != 0 || !strings.HasPrefix(id, "run-") {
		a.fatalf("async run: want a run ID, got %s", res)
	}
	res = a.runWithStdin("", "-attach", id)
	if res.code != 3 || res.stdout != "a\nb\n" || res.stderr != "e\n" {
		a.fatalf("attach: want a, b, e and exit 3, got %s", res)
	}
	res = a.runWithStdin("", "-attach", id, "-offset", "2")
	if res.code != 3 || res.stdout != "b\n" {
		a.fatalf("attach -offset 2: want b and exit 3, got %s", res)
	}
	var st struct {
		Stdout       string `json:"stdout"`
		StdoutOffset int64  `json:"stdout_offset"`
		ExitCode     *int   `json:"exit_code"`
		Status       string `json:"status"`
	}
	r := a.getJSON("/v1/run/"+id+"?offset=2", &st)
	if r.status != 200 || st.Stdout != "b\n" || st.StdoutOffset != 4 || st.ExitCode == nil || *st.ExitCode != 3 || st.Status != "dead" {
		b, _ := json.Marshal(st)
		a.fatalf("GET /v1/run: status %d, %s", r.status, b)
	}
	if r := a.request("GET", "/v1/run/run-nosuch", nil); r.status != 404 {
		a.fatalf("GET /v1/run of an unknown run: status %d, want 404", r.status)
	}
}

// TestRemoteRunNodeAndTimeout: -node picks the node (an unknown one fails
// with a message), -timeout stops the command and exits 124.
func TestRemoteRunNodeAndTimeout(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true})
	node := "e2e-" + sanitize(t.Name())
	res := a.runWithStdin("", "-node", node, "--", "/bin/echo", "on-node")
	if res.code != 0 || res.stdout != "on-node\n" {
		a.fatalf("run -node %s: %s", node, res)
	}
	res = a.runWithStdin("", "-node", "no-such-node", "--", "/bin/echo", "x")
	if res.code != 1 || !strings.Contains(res.stderr, "could not place") {
		a.fatalf("run -node no-such-node: want exit 1 with a placement error, got %s", res)
	}
	// The run is stopped at once, so its status cannot explain later: the
	// message itself names the constraint.
	if !strings.Contains(res.stderr, `${node.unique.name} = no-such-node`) || strings.Contains(res.stderr, "job status") {
		a.fatalf("run -node no-such-node: want the constraint that filtered the nodes, got %s", res)
	}
	res = a.runWithStdin("", "-timeout", "1s", "--", "/bin/sleep", "300")
	if res.code != 124 || !strings.Contains(res.stderr, "timed out") {
		a.fatalf("run -timeout 1s: want exit 124, got %s", res)
	}
}

// TestRemoteRunGC: a finished run is purged after server.run_gc_after; a
// run that still runs is kept.
func TestRemoteRunGC(t *testing.T) {
	cfg := writeFile(t, "agent.hcl", "server {\n  enabled = true\n  run_gc_after = \"2s\"\n}\n")
	a := startAgent(t, agentOptions{dev: true, config: cfg})
	long := a.runWithStdin("", "-async", "--", "/bin/sleep", "300")
	longID := strings.TrimSpace(long.stdout)
	if long.code != 0 || !strings.HasPrefix(longID, "run-") {
		a.fatalf("async run: %s", long)
	}
	a.waitAllocs(longID, "the long run to be running", func(allocs []alloc) (bool, string) {
		return countStatus(allocs, "run", "running") == 1, describeAllocs(allocs)
	})
	res := a.runWithStdin("", "-async", "--", "/bin/echo", "done")
	id := strings.TrimSpace(res.stdout)
	if res.code != 0 || !strings.HasPrefix(id, "run-") {
		a.fatalf("async run: %s", res)
	}
	if res = a.runWithStdin("", "-attach", id); res.code != 0 || res.stdout != "done\n" {
		a.fatalf("attach: %s", res)
	}
	a.waitFor("the finished run to be purged", func() (bool, string) {
		r := a.request("GET", "/v1/job/"+id, nil)
		return r.status == 404, "GET /v1/job/" + id + ": status " + strconv.Itoa(r.status)
	})
	if r := a.request("GET", "/v1/job/"+longID, nil); r.status != 200 {
		a.fatalf("the running run %s was purged too: status %d", longID, r.status)
	}
	if r := a.request("GET", "/v1/run/"+id, nil); r.status != 404 {
		a.fatalf("GET /v1/run of a purged run: status %d, want 404", r.status)
	}
}

// TestRemoteRunInterrupt: Ctrl-C on a sync run stops the remote command
// and exits 130.
func TestRemoteRunInterrupt(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true})
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, appmeshBin, "run", "-address", a.addr, "--", "/bin/sleep", "300")
	cmd.Env = cleanEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe() // stays open: the run waits on its input
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var runID string
	a.waitFor("the run to be running", func() (bool, string) {
		var jobs []struct {
			ID string `json:"id"`
		}
		a.getJSON("/v1/jobs?prefix=run-", &jobs)
		if len(jobs) != 1 {
			return false, strconv.Itoa(len(jobs)) + " run jobs"
		}
		runID = jobs[0].ID
		var allocs []alloc
		a.getJSON("/v1/job/"+runID+"/allocations", &allocs)
		return countStatus(allocs, "run", "running") == 1, describeAllocs(allocs)
	})
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 130 || !strings.Contains(stderr.String(), "interrupted") {
		a.fatalf("interrupted run: %v, want exit 130; stderr: %s", err, stderr.String())
	}
	a.waitAllocs(runID, "the interrupted run to be stopped", func(allocs []alloc) (bool, string) {
		return len(allocs) == 1 && allocs[0].DesiredStatus == "stop" && allocs[0].ClientStatus != "running", describeAllocs(allocs)
	})
}

// TestRemoteRunRunsOnce: a failed command is not run again by the batch
// default reschedule (one more attempt 5s after the failure).
func TestRemoteRunRunsOnce(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true})
	dir := traversableTempDir(t)
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	count := dir + "/runs"
	// raw_exec: an exec task's /tmp is its own, and the count must be
	// read from out here.
	res := a.runWithStdin("", "-driver", "raw_exec", "--", "/bin/sh", "-c", "echo ran >> "+count+"; exit 1")
	if res.code != 1 {
		a.fatalf("failing run: want exit 1, got %s", res)
	}
	// The default batch reschedule would start the second attempt 5s
	// after the failure; give it twice that to show up.
	time.Sleep(12 * time.Second)
	b, err := os.ReadFile(count)
	if err != nil {
		a.fatalf("the run left no trace: %v", err)
	}
	if n := strings.Count(string(b), "ran"); n != 1 {
		a.fatalf("the failed command ran %d times, want once", n)
	}
}
