package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lifecycleBatchJob is a batch job in Nomad's syntax with a task of each
// lifecycle kind. Every task appends its name to alloc/order.log, the
// allocation's shared directory. The prestart task leaves a file there
// that the main task prints; the main task runs until the poststart task
// has written its line (at most a minute), so the log shows the poststart
// task running while the main task runs.
const lifecycleBatchJob = `job "lc-batch" {
  datacenters = ["*"]
  type        = "batch"

  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }

    task "init" {
      lifecycle {
        hook    = "prestart"
        sidecar = false
      }
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo config-from-init > $APPMESH_ALLOC_DIR/alloc/config && echo init >> $APPMESH_ALLOC_DIR/alloc/order.log"]
      }
    }

    task "proxy" {
      lifecycle {
        hook    = "prestart"
        sidecar = true
      }
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo proxy >> $APPMESH_ALLOC_DIR/alloc/order.log && exec sleep %d"]
      }
    }

    task "main" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "L=$APPMESH_ALLOC_DIR/alloc/order.log; echo main >> $L; cat $APPMESH_ALLOC_DIR/alloc/config; i=0; until grep -q poststart $L; do i=$((i+1)); [ $i -gt 600 ] && exit 9; sleep 0.1; done; echo main-done >> $L"]
      }
    }

    task "announce" {
      lifecycle {
        hook = "poststart"
      }
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo poststart >> $APPMESH_ALLOC_DIR/alloc/order.log"]
      }
    }

    task "cleanup" {
      lifecycle {
        hook = "poststop"
      }
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo poststop >> $APPMESH_ALLOC_DIR/alloc/order.log"]
      }
    }
  }
}
`

// lifecycleServiceJob: a service whose poststop task runs when the job is
// stopped.
const lifecycleServiceJob = `job "lc-svc" {
  datacenters = ["*"]
  group "g" {
    task "main" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo main >> $APPMESH_ALLOC_DIR/alloc/order.log && exec sleep %d"]
      }
    }
    task "cleanup" {
      lifecycle {
        hook = "poststop"
      }
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo poststop >> $APPMESH_ALLOC_DIR/alloc/order.log"]
      }
    }
  }
}
`

// TestLifecycle runs job files in Nomad's syntax with lifecycle blocks on
// a real agent: prestart, prestart sidecar, main, poststart and poststop
// run in Nomad's order, the main task reads what the prestart task wrote,
// the batch job with a sidecar ends complete; stopping a service runs its
// poststop task; a group of only lifecycle tasks is refused by validate.
func TestLifecycle(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true})
	proxySleep, proxyMarker := taskSleep(63)
	svcSleep, svcMarker := taskSleep(64)
	a.track(proxyMarker)
	a.track(svcMarker)

	batch := writeFile(t, "lc-batch.hcl", fmt.Sprintf(lifecycleBatchJob, proxySleep))
	if run := a.cli("job run", batch); run.code != 0 {
		a.fatalf("job run lc-batch: want exit 0, got %s", run)
	}
	allocs := a.waitAllocs("lc-batch", "a complete allocation", func(al []alloc) (bool, string) {
		return len(al) == 1 && al[0].ClientStatus == "complete", describeAllocs(al)
	})
	al := allocs[0]
	order := readOrderLog(t, a, al.ID)
	// The log orders what each task wrote; when a task started is its
	// process's start, read from the task states.
	if !inOrder(order, "init", "main", "main-done", "poststop") || !inOrder(order, "poststart", "main-done") || len(order) != 6 {
		t.Fatalf("order.log = %v, want init, then main, poststart before main-done, then poststop, and proxy once", order)
	}
	started := taskStartTimes(t, a, al.ID)
	if !(started["init"] > 0 && started["proxy"] > 0 && started["proxy"] <= started["main"] && started["main"] <= started["announce"] && started["main"] <= started["cleanup"]) {
		t.Fatalf("task start times %v: want the sidecar before main, main before the poststart and poststop tasks", started)
	}
	if s := al.TaskStates["proxy"]; s == nil || s.State != "dead" || s.Failed {
		t.Fatalf("sidecar state %+v, want stopped (dead) and not failed", s)
	}
	if logs := a.cli("alloc logs", al.ID, "main"); logs.code != 0 || logs.stdout != "config-from-init\n" {
		t.Fatalf("alloc logs main: want the file the prestart task wrote, got %s", logs)
	}
	if procs := findProcs(proxyMarker); len(procs) != 0 {
		t.Fatalf("the sidecar still runs after the allocation completed: %s", describeProcs(procs))
	}

	svc := writeFile(t, "lc-svc.hcl", fmt.Sprintf(lifecycleServiceJob, svcSleep))
	if run := a.cli("job run", svc); run.code != 0 {
		a.fatalf("job run lc-svc: %s", run)
	}
	allocs = a.waitAllocs("lc-svc", "a running allocation", func(al []alloc) (bool, string) {
		return len(al) == 1 && al[0].ClientStatus == "running", describeAllocs(al)
	})
	if s := allocs[0].TaskStates["cleanup"]; s == nil || s.State != "pending" || !strings.Contains(fmt.Sprint(s.Events), "Waiting for the main tasks to stop") {
		t.Fatalf("poststop task %+v, want pending while the main task runs, with an event saying why", s)
	}
	if r := a.cli("alloc restart", allocs[0].ID, "cleanup"); r.code == 0 || !strings.Contains(r.stderr, `has not started yet: it waits for its lifecycle hook "poststop"`) {
		t.Fatalf("alloc restart of the waiting poststop task: want a refusal saying so, got %s", r)
	}
	if stop := a.cli("job stop", "lc-svc"); stop.code != 0 {
		a.fatalf("job stop lc-svc: %s", stop)
	}
	allocs = a.waitAllocs("lc-svc", "the stopped allocation complete", func(al []alloc) (bool, string) {
		return len(al) == 1 && al[0].ClientStatus == "complete", describeAllocs(al)
	})
	if order := readOrderLog(t, a, allocs[0].ID); strings.Join(order, " ") != "main poststop" {
		t.Fatalf("order.log = %v, want main then poststop", order)
	}

	onlyLifecycle := writeFile(t, "bad.hcl", `job "bad" {
  group "g" {
    task "init" {
      lifecycle { hook = "prestart" }
      driver = "raw_exec"
      config { command = "/bin/true" }
    }
  }
}
`)
	if v := a.cli("job validate", onlyLifecycle); v.code == 0 || !strings.Contains(v.stderr+v.stdout, `group "g": every task has a lifecycle block (init)`) {
		t.Fatalf("job validate of a group with only lifecycle tasks: want a failure naming the group, got %s", v)
	}
	badHook := writeFile(t, "badhook.hcl", strings.Replace(fmt.Sprintf(lifecycleServiceJob, svcSleep), `hook = "poststop"`, `hook = "after"`, 1))
	if v := a.cli("job validate", badHook); v.code == 0 || !strings.Contains(v.stderr+v.stdout, `group "g": task "cleanup": lifecycle: hook "after" is invalid`) {
		t.Fatalf("job validate of an unknown hook: want a failure naming the task, got %s", v)
	}
}

// readOrderLog reads alloc/order.log of an allocation from the agent's
// client data directory.
func readOrderLog(t *testing.T, a *agent, allocID string) []string {
	t.Helper()
	p := filepath.Join(a.dataDir, "client", "alloc", allocID, "alloc", "order.log")
	b, err := os.ReadFile(p)
	if err != nil {
		a.fatalf("reading the tasks' order log: %v", err)
	}
	return strings.Fields(string(b))
}

// taskStartTimes returns each task's started_at (unix nanoseconds) from
// GET /v1/allocation/<id>.
func taskStartTimes(t *testing.T, a *agent, allocID string) map[string]int64 {
	t.Helper()
	var al struct {
		TaskStates map[string]struct {
			StartedAt int64 `json:"started_at"`
		} `json:"task_states"`
	}
	a.getJSON("/v1/allocation/"+allocID, &al)
	out := map[string]int64{}
	for name, s := range al.TaskStates {
		out[name] = s.StartedAt
	}
	return out
}

// inOrder reports whether the lines appear in this order in log.
func inOrder(log []string, lines ...string) bool {
	pos := -1
	for _, want := range lines {
		found := -1
		for i, l := range log {
			if l == want {
				found = i
				break
			}
		}
		if found <= pos {
			return false
		}
		pos = found
	}
	return true
}

// lifecycleRestartJob: exec tasks (the client's default isolation) with a
// prestart task, a prestart sidecar, a main task and a poststop task.
const lifecycleRestartJob = `job "lc-restart" {
  group "g" {
    task "init" {
      lifecycle { hook = "prestart" }
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo init >> $APPMESH_ALLOC_DIR/alloc/order.log"]
      }
    }
    task "proxy" {
      lifecycle {
        hook    = "prestart"
        sidecar = true
      }
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo proxy >> $APPMESH_ALLOC_DIR/alloc/order.log; exec sleep %d"]
      }
    }
    task "main" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo main >> $APPMESH_ALLOC_DIR/alloc/order.log; exec sleep %d"]
      }
    }
    task "cleanup" {
      lifecycle { hook = "poststop" }
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo poststop >> $APPMESH_ALLOC_DIR/alloc/order.log"]
      }
    }
  }
}
`

// TestLifecycleAgentRestart: an agent that restarts while the main task
// and the sidecar run re-attaches to both, runs neither the completed
// prestart task nor anything else again, and still runs the poststop task
// when the job is stopped afterwards.
func TestLifecycleAgentRestart(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{})
	proxySleep, proxyMarker := taskSleep(65)
	mainSleep, mainMarker := taskSleep(66)
	a.track(proxyMarker)
	a.track(mainMarker)
	job := writeFile(t, "lc-restart.hcl", fmt.Sprintf(lifecycleRestartJob, proxySleep, mainSleep))
	if run := a.cli("job run", job); run.code != 0 {
		a.fatalf("job run lc-restart: %s", run)
	}
	allocs := a.waitAllocs("lc-restart", "a running allocation", func(al []alloc) (bool, string) {
		return len(al) == 1 && al[0].ClientStatus == "running", describeAllocs(al)
	})
	id := allocs[0].ID
	a.waitProcs(proxyMarker, 1)
	a.waitProcs(mainMarker, 1)

	a.restart()
	a.waitAllocs("lc-restart", "the allocation running under the restarted agent", func(al []alloc) (bool, string) {
		return len(al) == 1 && al[0].ID == id && al[0].ClientStatus == "running", describeAllocs(al)
	})
	a.waitProcs(proxyMarker, 1)
	a.waitProcs(mainMarker, 1)

	if stop := a.cli("job stop", "lc-restart"); stop.code != 0 {
		a.fatalf("job stop lc-restart: %s", stop)
	}
	allocs = a.waitAllocs("lc-restart", "the stopped allocation complete", func(al []alloc) (bool, string) {
		return len(al) == 1 && al[0].ClientStatus == "complete", describeAllocs(al)
	})
	order := readOrderLog(t, a, id)
	count := map[string]int{}
	for _, l := range order {
		count[l]++
	}
	if len(order) != 4 || count["init"] != 1 || count["proxy"] != 1 || count["main"] != 1 || order[3] != "poststop" {
		t.Fatalf("order.log = %v, want init, proxy and main once each (nothing re-run by the restart), then poststop", order)
	}
	for _, m := range []string{proxyMarker, mainMarker} {
		a.waitFor("the task processes to end with the job", func() (bool, string) {
			ps := findProcs(m)
			return len(ps) == 0, describeProcs(ps)
		})
	}
}
