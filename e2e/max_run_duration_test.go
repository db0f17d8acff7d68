package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestMaxRunDuration runs a batch job file in Nomad's syntax whose group
// has max_run_duration = "3s" and whose task would sleep far longer. As
// in Nomad, the client stops the task when the time is up and the
// allocation ends complete (so it is not rescheduled) with the
// description "allocation exceeded max_run_duration"; the task carries a
// "Max Run Duration Exceeded" event and its process is gone. The same
// attribute on a service job is refused by `job validate`.
func TestMaxRunDuration(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	secs, marker := taskSleep(56)
	a.track(marker)
	id := fmt.Sprintf("maxrun-%d", runTag)
	jobFile := func(typ string) string {
		return fmt.Sprintf(`job %q {
  datacenters = ["*"]
  type        = %q

  group "work" {
    max_run_duration = "3s"

    reschedule {
      attempts  = 0
      unlimited = false
    }

    task "sleeper" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "exec sleep %d"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`, id, typ, secs)
	}

	svc := writeFile(t, "maxrun-service.nomad.hcl", jobFile("service"))
	if r := a.cli("job validate", svc); r.code == 0 || !strings.Contains(r.stderr+r.stdout, "max_run_duration applies only to batch and sysbatch jobs") {
		a.fatalf("job validate of a service job with max_run_duration: %s", r)
	}

	file := writeFile(t, "maxrun.nomad.hcl", jobFile("batch"))
	if r := a.cli("job run", "-detach", file); r.code != 0 {
		a.fatalf("job run: %s", r)
	}
	a.waitProcs(marker, 1)
	allocs := a.waitAllocs(id, "the allocation to end", func(as []alloc) (bool, string) {
		return len(as) == 1 && as[0].ClientStatus == "complete", "want one complete allocation"
	})
	var full struct {
		ClientStatus      string               `json:"client_status"`
		ClientDescription string               `json:"client_description"`
		TaskStates        map[string]taskState `json:"task_states"`
	}
	a.getJSON("/v1/allocation/"+allocs[0].ID, &full)
	if full.ClientDescription != "allocation exceeded max_run_duration" {
		a.fatalf("client description %q, want Nomad's %q", full.ClientDescription, "allocation exceeded max_run_duration")
	}
	st := full.TaskStates["sleeper"]
	found := false
	for _, e := range st.Events {
		found = found || (e.Type == "Max Run Duration Exceeded" && strings.Contains(e.Message, "3s"))
	}
	if !found || st.State != "dead" || st.Failed {
		a.fatalf("task state %+v: want dead, not failed, with a Max Run Duration Exceeded event", st)
	}
	if ps := findProcs(marker); len(ps) != 0 {
		a.fatalf("task process still running after the allocation ended: %s", describeProcs(ps))
	}
	a.waitJobStatus(id, "dead")
}
