package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// serviceHCL is the README's example job with its own ID, count and shell
// script (which should end in a unique `exec sleep N`, see findProcs).
func serviceHCL(id string, count int, script string) string {
	return fmt.Sprintf(`job %q {
  type = "service"
  group "web" {
    count = %d
    task "server" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", %q]
      }
      resources {
        cpu    = 100   # MHz
        memory = 64    # MB
      }
    }
  }
}
`, id, count, script)
}

// batchHCL is a one-task batch job running script under /bin/sh.
// batchHCL is a one-task batch job. restart attempts = 0 makes a failing
// task fail its allocation at once instead of after the default retries.
func batchHCL(id, script string) string {
	return fmt.Sprintf(`job %q {
  type = "batch"
  group "g" {
    count = 1
    restart {
      attempts = 0
    }
    task "t" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", %q]
      }
      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
`, id, script)
}

// designJSON is the JSON job of DESIGN.md, with a unique sleep.
func designJSON(id string, sleep int) string {
	return fmt.Sprintf(`{"job": {"id": %q, "type": "service", "groups": [{"name": "web", "count": 2, "tasks": [
  {"name": "server", "driver": "exec",
   "config": {"command": "/bin/sh", "args": ["-c", "echo hello; exec sleep %d"]},
   "resources": {"cpu": 100, "memory": 64}}]}]}}`, id, sleep)
}

// Scenario 1: the README walk-through through the CLI.
func TestReadmeJob(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	sec, marker := taskSleep(1)
	a.track(marker)
	job := writeFile(t, "hello.hcl",
		serviceHCL("hello", 2, fmt.Sprintf("echo hello; echo complaint-7301 >&2; exec sleep %d", sec)))

	run := a.cli("job run", job)
	if run.code != 0 {
		a.fatalf("job run: want exit 0\n%s", run)
	}

	var allocs []alloc
	a.getJSON("/v1/job/hello/allocations", &allocs)
	if len(allocs) != 2 {
		a.fatalf("GET /v1/job/hello/allocations after job run: want 2 allocations, got %d: %s", len(allocs), describeAllocs(allocs))
	}
	for _, al := range allocs {
		// job run returns once both allocations run (README).
		if al.ClientStatus != "running" || al.DesiredStatus != "run" {
			t.Errorf("allocation %s: client_status %q desired_status %q, want running/run once job run has returned",
				al.ID, al.ClientStatus, al.DesiredStatus)
		}
		if al.JobID != "hello" || al.Group != "web" || al.NodeID == "" || al.NodeName == "" {
			t.Errorf("allocation %s: job_id %q group %q node_id %q node_name %q: want hello/web and a node",
				al.ID, al.JobID, al.Group, al.NodeID, al.NodeName)
		}
		if !strings.Contains(run.stdout, shortID(al.ID)) {
			t.Errorf("job run output does not show allocation %s:\n%s", shortID(al.ID), run)
		}
	}
	if !strings.Contains(run.stdout, "running") {
		t.Errorf("job run output does not say the allocations are running:\n%s", run)
	}
	a.waitProcs(marker, 2)

	// Logs, by full ID and by unique prefix.
	for _, id := range []string{allocs[0].ID, shortID(allocs[1].ID)} {
		a.waitFor(fmt.Sprintf("alloc logs %s to print hello", id), func() (bool, string) {
			r := a.cli("alloc logs", id)
			return r.code == 0 && strings.Contains(r.stdout, "hello") && !strings.Contains(r.stdout, "complaint"), r.String()
		})
		a.waitFor(fmt.Sprintf("alloc logs -stderr %s to print the task's stderr", id), func() (bool, string) {
			r := a.cli("alloc logs", "-stderr", id)
			return r.code == 0 && strings.Contains(r.stdout, "complaint-7301") && !strings.Contains(r.stdout, "hello"), r.String()
		})
	}

	stop := a.cli("job stop", "hello")
	if stop.code != 0 {
		a.fatalf("job stop hello: want exit 0\n%s", stop)
	}
	// job stop waits until every allocation has stopped on its node, so no
	// task process may be left by now.
	if ps := findProcs(marker); len(ps) != 0 {
		t.Errorf("task processes still running after job stop returned: %s", describeProcs(ps))
		a.waitProcs(marker, 0)
	}
	a.getJSON("/v1/job/hello/allocations", &allocs)
	if len(allocs) != 2 {
		t.Errorf("after job stop: want the 2 allocations, got %s", describeAllocs(allocs))
	}
	for _, al := range allocs {
		if al.DesiredStatus != "stop" {
			t.Errorf("allocation %s after job stop: desired_status %q, want stop", al.ID, al.DesiredStatus)
		}
		if al.ClientStatus == "running" || al.ClientStatus == "pending" {
			t.Errorf("allocation %s after job stop returned: client_status %q, want a terminal status", al.ID, al.ClientStatus)
		}
	}
	a.waitJobStatus("hello", "dead")
}

// Scenario 2: the JSON job of DESIGN.md over PUT /v1/jobs, and the same as
// a file through `job run`.
func TestJobRegisterJSON(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	sec, marker := taskSleep(2)
	fileSec, fileMarker := taskSleep(12)
	a.track(marker)
	a.track(fileMarker)

	r := a.putJSON("/v1/jobs", designJSON("hello", sec))
	if r.status != http.StatusOK {
		a.fatalf("PUT /v1/jobs: status %d, want 200: %s", r.status, r.body)
	}
	var reg registerResponse
	if err := json.Unmarshal(r.body, &reg); err != nil || reg.EvalID == "" {
		a.fatalf("PUT /v1/jobs: want {\"eval_id\": ...}, got %s (%v)", r.body, err)
	}
	if r.header.Get("X-Appmesh-Index") == "" {
		t.Errorf("PUT /v1/jobs: no X-Appmesh-Index header")
	}
	var ev evaluation
	a.getJSON("/v1/evaluation/"+reg.EvalID, &ev)
	if ev.ID != reg.EvalID || ev.JobID != "hello" {
		t.Errorf("GET /v1/evaluation/%s: id %q job_id %q, want the registration's evaluation of job hello", reg.EvalID, ev.ID, ev.JobID)
	}
	a.waitAllocs("hello", "2 running allocations", func(allocs []alloc) (bool, string) {
		n := countStatus(allocs, "run", "running")
		return n == 2 && len(allocs) == 2, fmt.Sprintf("%d running", n)
	})
	a.waitProcs(marker, 2)
	a.waitJobStatus("hello", "running")

	// README: "The same job as JSON works with `job run hello.json`".
	file := writeFile(t, "hello.json", designJSON("hello-file", fileSec))
	run := a.cli("job run", file)
	if run.code != 0 {
		a.fatalf("job run hello.json (the body of PUT /v1/jobs as a file): want exit 0\n%s", run)
	}
	a.waitAllocs("hello-file", "2 running allocations", func(allocs []alloc) (bool, string) {
		n := countStatus(allocs, "run", "running")
		return n == 2, fmt.Sprintf("%d running", n)
	})
	a.waitProcs(fileMarker, 2)
}

// Scenario 3: batch jobs that exit 0 and exit 3.
func TestBatchExitCodes(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})

	// exit 0
	{
		run := a.cli("job run", "-detach", writeFile(t, "ok.hcl", batchHCL("batch-ok", "echo done-7303")))
		if run.code != 0 || !strings.Contains(run.stdout, "Evaluation ID") {
			a.fatalf("job run -detach: want exit 0 and the evaluation ID\n%s", run)
		}
		allocs := a.waitAllocs("batch-ok", "a complete allocation", func(allocs []alloc) (bool, string) {
			return countStatus(allocs, "", "complete") == 1, ""
		})
		for _, al := range allocs {
			if al.ClientStatus != "complete" {
				t.Errorf("allocation %s: client_status %q, want complete (only one allocation expected)", al.ID, al.ClientStatus)
				continue
			}
			ts := al.TaskStates["t"]
			switch {
			case ts == nil:
				t.Errorf("allocation %s: no task_states.t", al.ID)
			case ts.State != "dead" || ts.Failed || ts.ExitCode == nil || *ts.ExitCode != 0:
				t.Errorf("allocation %s: task t: state %q failed %v exit_code %v, want dead, not failed, 0",
					al.ID, ts.State, ts.Failed, intp(ts.ExitCode))
			}
		}
		a.waitJobStatus("batch-ok", "dead")
	}

	// exit 3
	{
		run := a.cli("job run", "-detach", writeFile(t, "fail.hcl", batchHCL("batch-fail", "echo failing; exit 3")))
		if run.code != 0 {
			a.fatalf("job run -detach: want exit 0\n%s", run)
		}
		// Every state the API shows on the way must be consistent: an
		// allocation is not failed while its only task still runs.
		var inconsistent []string
		allocs := a.waitAllocs("batch-fail", "a failed allocation with its task dead", func(allocs []alloc) (bool, string) {
			for _, al := range allocs {
				ts := al.TaskStates["t"]
				if al.ClientStatus == "failed" && ts != nil && ts.State != "dead" {
					inconsistent = append(inconsistent, fmt.Sprintf("allocation %s: client_status %q while task t has state %q (failed %v, exit_code %s)",
						shortID(al.ID), al.ClientStatus, ts.State, ts.Failed, intp(ts.ExitCode)))
				}
				if al.ClientStatus == "failed" && ts != nil && ts.State == "dead" {
					return true, ""
				}
			}
			return false, ""
		})
		for _, s := range inconsistent {
			t.Errorf("inconsistent state seen: %s", s)
		}
		var failed *alloc
		for i := range allocs {
			if ts := allocs[i].TaskStates["t"]; allocs[i].ClientStatus == "failed" && ts != nil && ts.State == "dead" {
				failed = &allocs[i]
				break
			}
		}
		ts := failed.TaskStates["t"]
		if ts == nil {
			a.fatalf("failed allocation %s has no task_states.t", failed.ID)
		}
		if ts.ExitCode == nil || *ts.ExitCode != 3 {
			t.Errorf("task_states.t.exit_code = %v, want 3", intp(ts.ExitCode))
		}
		if ts.State != "dead" || !ts.Failed {
			t.Errorf("task_states.t: state %q failed %v, want dead and failed", ts.State, ts.Failed)
		}
		found := false
		for _, e := range ts.Events {
			if e.Type == "Terminated" && e.ExitCode != nil && *e.ExitCode == 3 {
				found = true
			}
		}
		if !found {
			ev, _ := json.Marshal(ts.Events)
			t.Errorf("task_states.t.events has no {\"type\": \"Terminated\", \"exit_code\": 3}: %s", ev)
		}

		st := a.cli("alloc status", failed.ID)
		if st.code != 0 {
			a.fatalf("alloc status %s: want exit 0\n%s", failed.ID, st)
		}
		if !regexp.MustCompile(`Exit Code\s*=\s*3\b`).MatchString(st.stdout) {
			t.Errorf("alloc status does not show exit code 3:\n%s", st)
		}
		if !strings.Contains(st.stdout, "failed") {
			t.Errorf("alloc status does not show the failed status:\n%s", st)
		}
		// The Terminated event's description says the exit code once.
		for _, line := range strings.Split(st.stdout, "\n") {
			if strings.Contains(line, "Terminated") {
				if n := strings.Count(strings.ToLower(line), "exit code"); n != 1 {
					t.Errorf("alloc status: the Terminated event mentions the exit code %d times, want once: %q", n, strings.TrimSpace(line))
				}
			}
		}
		a.waitJobStatus("batch-fail", "dead")
	}
}

func intp(p *int) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

// Scenario 4: a job that fits on no node.
func TestMemoryExhausted(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	sec, marker := taskSleep(4)
	a.track(marker)
	job := writeFile(t, "big.hcl", strings.ReplaceAll(`job "big" {
  group "g" {
    count = 1
    task "t" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "exec sleep 7304"]
      }
      resources {
        memory = 100000000
      }
    }
  }
}
`, "sleep 7304", fmt.Sprintf("sleep %d", sec)))
	run := a.cli("job run", job)
	if run.code == 0 {
		t.Errorf("job run of a job that fits nowhere: want a non-zero exit code\n%s", run)
	}
	if out := run.stdout + run.stderr; !strings.Contains(out, "memory exhausted on 1 node") {
		t.Errorf("job run does not explain that memory is exhausted on 1 node:\n%s", run)
	}

	var allocs []alloc
	a.getJSON("/v1/job/big/allocations", &allocs)
	if len(allocs) != 0 {
		t.Errorf("GET /v1/job/big/allocations: want none, got %s", describeAllocs(allocs))
	}

	a.waitFor("a blocked evaluation with dimension_exhausted.memory == 1", func() (bool, string) {
		var evals []evaluation
		r := a.getJSON("/v1/job/big/evaluations", &evals)
		for _, e := range evals {
			if e.Status != "blocked" {
				continue
			}
			if m := e.FailedTGAllocs["g"]; m != nil && m.DimensionExhausted["memory"] == 1 {
				return true, ""
			}
		}
		return false, string(r.body)
	})

	st := a.cli("job status", "big")
	if st.code != 0 {
		a.fatalf("job status big: want exit 0\n%s", st)
	}
	if !strings.Contains(st.stdout, "memory exhausted on 1 node") {
		t.Errorf("job status does not say that memory is exhausted on 1 node:\n%s", st)
	}
	if ps := findProcs(marker); len(ps) != 0 {
		t.Errorf("a task of the unplaceable job runs: %s", describeProcs(ps))
	}
}
