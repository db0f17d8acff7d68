package e2e

import (
	"fmt"
	"syscall"
	"testing"
)

// kill9 kills the agent process with SIGKILL (no chance to clean up)
// and waits for it to be gone. Its driver plugins, in their own sessions,
// are not touched.
func (a *agent) kill9() {
	a.t.Helper()
	a.mu.Lock()
	pid, exited := a.cmd.Process.Pid, a.exited
	a.mu.Unlock()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		a.t.Fatalf("kill -9 the agent: %v", err)
	}
	<-exited
}

// runBatchToCompletion runs a one-task batch job and waits until it ends.
func runBatchToCompletion(a *agent, id, script string) {
	a.t.Helper()
	if r := a.cli("job run", writeFile(a.t, id+".hcl", batchHCL(id, script))); r.code != 0 {
		a.fatalf("job run: want exit 0\n%s", r)
	}
	a.waitAllocs(id, "the batch task to complete", func(as []alloc) (bool, string) {
		return len(as) == 1 && as[0].ClientStatus == "complete", describeAllocs(as)
	})
}

// An agent stopped cleanly with no task running leaves no driver plugin
// process behind. Before the fix the exec plugin outlived it for ever.
func TestPluginGoesWithCleanlyStoppedAgent(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{})
	runBatchToCompletion(a, "once", "echo done")
	if len(findPluginProcs(a.dataDir)) == 0 {
		a.fatalf("no driver plugin process found while the agent runs: the test cannot see plugins")
	}
	if err := a.stop(); err != nil {
		a.fatalf("stop: %v", err)
	}
	a.waitFor("no driver plugin after the agent stopped", func() (bool, string) {
		ps := findPluginProcs(a.dataDir)
		return len(ps) == 0, describeProcs(ps)
	})
}

// A plugin whose agent was killed and never came back keeps running while
// it runs a task (the task must survive the agent), and exits once it runs
// none and the idle grace (2s here, client.plugin_idle_grace) has passed.
// Before the fix it ran for ever.
func TestPluginOfKilledAgentExitsWhenIdle(t *testing.T) {
	t.Parallel()
	cfg := writeFile(t, "grace.hcl", `client {
  enabled           = true
  plugin_idle_grace = "2s"
}
`)
	a := startAgent(t, agentOptions{config: cfg})
	// The task outlives the grace, so the plugin must wait for it. The
	// fraction makes its command line unique to this run.
	marker := fmt.Sprintf("sleep 6.%d61", runTag)
	a.track(marker)
	if r := a.cli("job run", writeFile(t, "long.hcl", batchHCL("long", "exec "+marker))); r.code != 0 {
		a.fatalf("job run: want exit 0\n%s", r)
	}
	a.waitAllocs("long", "the task to run", func(as []alloc) (bool, string) {
		return len(as) == 1 && as[0].ClientStatus == "running", describeAllocs(as)
	})
	plugins := findPluginProcs(a.dataDir)
	if len(plugins) == 0 {
		a.fatalf("no driver plugin process found while a task runs")
	}
	a.kill9()

	// While the task runs, its plugin stays.
	a.waitFor("the task to end", func() (bool, string) {
		task := findProcs(marker)
		alive := findPluginProcs(a.dataDir)
		if len(task) > 0 && len(alive) == 0 {
			t.Fatalf("the plugin exited while its task still ran: %s", describeProcs(task))
		}
		return len(task) == 0, "task: " + describeProcs(task)
	})
	a.waitFor("the idle plugin of the killed agent to exit", func() (bool, string) {
		ps := findPluginProcs(a.dataDir)
		return len(ps) == 0, describeProcs(ps)
	})
}
