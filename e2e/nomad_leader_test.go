package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestNomadLeader runs a batch job in Nomad's syntax with a leader task
// and a long sleeper beside it: once the leader exits, the agent stops the
// sleeper and the allocation completes with nothing failed.
func TestNomadLeader(t *testing.T) {
	t.Parallel()
	secs, marker := taskSleep(8)
	a := startAgent(t, agentOptions{dev: true})
	a.track(marker)
	dir := traversableTempDir(t)
	goFile := filepath.Join(dir, "go")
	id := fmt.Sprintf("nomadleader-%d", runTag)
	file := writeFile(t, "leader.nomad.hcl", fmt.Sprintf(`job %q {
  datacenters = ["*"]
  type        = "batch"

  group "g" {
    task "main" {
      driver = "raw_exec"
      leader = true
      config {
        command = "/bin/sh"
        args    = ["-c", "while [ ! -f %s ]; do sleep 0.1; done"]
      }
    }
    task "helper" {
      driver = "raw_exec"
      config {
        command = "sleep"
        args    = ["%d"]
      }
    }
  }
}
`, id, goFile, secs))
	if r := a.cli("job run", "-detach", file); r.code != 0 {
		a.fatalf("job run: %s", r)
	}
	a.waitFor("the helper to run", func() (bool, string) {
		ps := findProcs(marker)
		return len(ps) == 1, fmt.Sprint(ps)
	})
	if err := os.WriteFile(goFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	allocs := a.waitAllocs(id, "the allocation to complete", func(as []alloc) (bool, string) {
		return len(as) == 1 && as[0].ClientStatus == "complete", fmt.Sprint(as)
	})
	for name, s := range allocs[0].TaskStates {
		if s.State != "dead" || s.Failed {
			a.fatalf("task %s: %+v; want dead and not failed", name, s)
		}
	}
	a.waitFor("the helper's process to be gone", func() (bool, string) {
		ps := findProcs(marker)
		return len(ps) == 0, fmt.Sprint(ps)
	})
}
