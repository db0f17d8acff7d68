package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// hup sends SIGHUP to the agent process, as `kill -HUP` does.
func (a *agent) hup() {
	a.t.Helper()
	a.mu.Lock()
	proc := a.cmd.Process
	a.mu.Unlock()
	if err := proc.Signal(syscall.SIGHUP); err != nil {
		a.t.Fatalf("kill -HUP %d: %v", proc.Pid, err)
	}
}

// logSince is the agent's output after the first n bytes.
func (a *agent) logSince(n int) string {
	a.mu.Lock()
	log := a.log
	a.mu.Unlock()
	return log.String()[n:]
}

func (a *agent) logLen() int { return len(a.logSince(0)) }

// nodeMetaCLI is the node's meta as `appmesh node status -json` shows it.
func (a *agent) nodeMetaCLI() map[string]string {
	a.t.Helper()
	r := a.cli("node status", "-json", a.nodeName())
	if r.code != 0 {
		a.fatalf("node status -json: want exit 0\n%s", r)
	}
	var n struct {
		Meta map[string]string `json:"meta"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &n); err != nil {
		a.fatalf("node status -json: %v\n%s", err, r)
	}
	return n.Meta
}

// taskStarts is how often the task of the job's single allocation started.
func (a *agent) taskStarts(jobID, task string) int {
	a.t.Helper()
	var allocs []struct {
		TaskStates map[string]struct {
			Starts int `json:"starts"`
		} `json:"task_states"`
	}
	a.getJSON("/v1/job/"+jobID+"/allocations", &allocs)
	if len(allocs) != 1 {
		a.fatalf("job %s: want 1 allocation, got %d", jobID, len(allocs))
	}
	return allocs[0].TaskStates[task].Starts
}

// TestSIGHUPReloadsConfig: `kill -HUP` makes a running agent read its
// config file again. The log level goes from info to debug (debug lines
// appear in its output), a client meta value changes in `node status
// -json`, a setting that cannot change live is named as needing a
// restart, and the running task is not touched (same process, started
// once). A file that does not parse afterwards changes nothing.
func TestSIGHUPReloadsConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "agent.hcl")
	writeConfig := func(content string) {
		t.Helper()
		if err := os.WriteFile(cfgPath, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig("log_level = \"info\"\nclient {\n  meta = { tier = \"one\", keep = \"k\" }\n}\n")
	a := startAgent(t, agentOptions{config: cfgPath, fileLogLevel: true})
	sec, marker := taskSleep(19)
	a.track(marker)

	if run := a.cli("job run", writeFile(t, "hup.hcl", serviceHCL("hup", 1, fmt.Sprintf("exec sleep %d", sec)))); run.code != 0 {
		a.fatalf("job run: want exit 0\n%s", run)
	}
	a.waitProcs(marker, 1)
	pid := findProcs(marker)[0].pid
	if starts := a.taskStarts("hup", "server"); starts != 1 {
		a.fatalf("task starts %d before the reload, want 1", starts)
	}
	if meta := a.nodeMetaCLI(); meta["tier"] != "one" || meta["keep"] != "k" {
		a.fatalf("node meta before the reload: %v, want the file's tier=one keep=k", meta)
	}
	a.request(http.MethodGet, "/v1/agent/self", nil)
	if strings.Contains(a.logSince(0), "[DEBUG]") {
		a.fatalf("the agent logs debug lines at log_level info")
	}

	writeConfig("log_level = \"debug\"\nclient {\n  meta = { tier = \"two\", keep = \"k\" }\n}\nserver {\n  num_schedulers = 1\n}\n")
	from := a.logLen()
	a.hup()
	a.waitFor("the agent to log the reload", func() (bool, string) {
		return strings.Contains(a.logSince(from), "configuration reloaded"), "not logged yet"
	})
	reloadLog := a.logSince(from)
	for _, want := range []string{"log_level changed", "client.meta changed", "setting=server.num_schedulers"} {
		if !strings.Contains(reloadLog, want) {
			a.fatalf("the reload's log lacks %q:\n%s", want, reloadLog)
		}
	}
	a.waitFor("node status -json to show tier=two", func() (bool, string) {
		meta := a.nodeMetaCLI()
		return meta["tier"] == "two" && meta["keep"] == "k", fmt.Sprintf("meta %v", meta)
	})
	a.request(http.MethodGet, "/v1/agent/self", nil)
	a.waitFor("a debug line for GET /v1/agent/self", func() (bool, string) {
		return strings.Contains(a.logSince(from), "[DEBUG] agent.http: request: method=GET path=/v1/agent/self"), "no debug line yet"
	})
	if ps := findProcs(marker); len(ps) != 1 || ps[0].pid != pid {
		a.fatalf("task process after the reload: %s, want the same pid %d", describeProcs(ps), pid)
	}
	if starts := a.taskStarts("hup", "server"); starts != 1 {
		a.fatalf("task starts %d after the reload, want 1 (the task was restarted)", starts)
	}

	// A broken file: logged, and the running configuration stays.
	writeConfig("log_level = \"warn\"\nclient {\n  meta = { tier = \"three\" \n")
	from = a.logLen()
	a.hup()
	a.waitFor("the agent to log the refused reload", func() (bool, string) {
		return strings.Contains(a.logSince(from), "configuration not reloaded"), "not logged yet"
	})
	a.request(http.MethodGet, "/v1/agent/self", nil)
	a.waitFor("debug lines to go on after the refused reload", func() (bool, string) {
		return strings.Contains(a.logSince(from), "[DEBUG] agent.http: request: method=GET path=/v1/agent/self"), "no debug line"
	})
	if meta := a.nodeMetaCLI(); meta["tier"] != "two" {
		a.fatalf("node meta after a broken file: %v, want tier=two kept", meta)
	}
	if ps := findProcs(marker); len(ps) != 1 || ps[0].pid != pid {
		a.fatalf("task process after the refused reload: %s, want pid %d", describeProcs(ps), pid)
	}
	// A non-dev agent leaves its tasks running when it stops.
	if stop := a.cli("job stop", "hup"); stop.code != 0 {
		a.fatalf("job stop: want exit 0\n%s", stop)
	}
}
