package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNomadDispatchPayloadFile dispatches a parameterized job in Nomad's
// syntax whose task has dispatch_payload { file }: the payload is in
// local/<file>, not in local/payload.
func TestNomadDispatchPayloadFile(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	dir := traversableTempDir(t)
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "seen")
	id := fmt.Sprintf("nomadpayload-%d", runTag)
	job := writeFile(t, "payload.nomad.hcl", fmt.Sprintf(`job %q {
  datacenters = ["*"]
  type        = "batch"
  parameterized {
    payload = "required"
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      dispatch_payload {
        file = "conf/input.json"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "{ cat local/conf/input.json; [ -e local/payload ] && echo default-file-too; } > %s"]
      }
    }
  }
}
`, id, out))
	if r := a.cli("job run", job); r.code != 0 {
		a.fatalf("job run: %s", r)
	}
	input := writeFile(t, "input.json", `{"frame": 7}`)
	if r := a.cli("job dispatch", id, input); r.code != 0 {
		a.fatalf("job dispatch: %s", r)
	}
	a.waitFor("the dispatched task's output", func() (bool, string) {
		b, err := os.ReadFile(out)
		return err == nil && strings.TrimSpace(string(b)) == `{"frame": 7}`, fmt.Sprintf("%q %v", b, err)
	})
}

// TestNomadCheckMethod runs a task in Nomad's syntax with two http checks
// against the agent's own API: a GET with a header passes, a POST (which
// the route refuses with 405) fails only after failures_before_critical
// runs, so the task ends up unhealthy with the POST named in the output.
func TestNomadCheckMethod(t *testing.T) {
	t.Parallel()
	secs, marker := taskSleep(9)
	a := startAgent(t, agentOptions{dev: true})
	a.track(marker)
	id := fmt.Sprintf("nomadcheck-%d", runTag)
	job := writeFile(t, "check.nomad.hcl", fmt.Sprintf(`job %q {
  datacenters = ["*"]
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "sleep"
        args    = ["%d"]
      }
      check {
        name     = "get"
        type     = "http"
        port     = "%d"
        path     = "/v1/status/leader"
        interval = "1s"
        success_before_passing = 2
        header {
          X-Probe = ["e2e"]
        }
      }
      check {
        name     = "post"
        type     = "http"
        port     = "%d"
        path     = "/v1/status/leader"
        method   = "POST"
        body     = "{}"
        interval = "1s"
        failures_before_critical = 2
      }
    }
  }
}
`, id, secs, a.ports.HTTP, a.ports.HTTP))
	if r := a.cli("job run", "-detach", job); r.code != 0 {
		a.fatalf("job run: %s", r)
	}
	type checkStatus struct{ Name, Status, Output string }
	var allocs []struct {
		TaskStates map[string]struct {
			Health string        `json:"health"`
			Checks []checkStatus `json:"checks"`
		} `json:"task_states"`
	}
	a.waitFor("the get check to pass and the post check to fail", func() (bool, string) {
		a.getJSON("/v1/job/"+id+"/allocations", &allocs)
		if len(allocs) != 1 {
			return false, fmt.Sprint(allocs)
		}
		st := allocs[0].TaskStates["t"]
		ok := len(st.Checks) == 2 && st.Checks[0].Status == "healthy" && st.Checks[1].Status == "unhealthy" &&
			strings.Contains(st.Checks[1].Output, "HTTP POST") && st.Health == "unhealthy"
		return ok, fmt.Sprintf("%+v", st)
	})
}
