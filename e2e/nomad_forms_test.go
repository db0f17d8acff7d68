package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNomadForms runs a job file in Nomad's syntax that uses the forms
// Nomad accepts and appmesh's own schema spells otherwise: a task directly
// under the job, quoted numbers and booleans, region "global",
// memory_max = -1 and a set_contains_any constraint. It runs on a dev
// agent, in a group named after the task.
func TestNomadForms(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	dir := traversableTempDir(t)
	out := filepath.Join(dir, "forms.out")
	id := fmt.Sprintf("nomadforms-%d", runTag)
	file := writeFile(t, "forms.nomad.hcl", fmt.Sprintf(`job %q {
  region      = "global"
  datacenters = ["*"]
  type        = "batch"
  priority    = "70"

  constraint {
    attribute = "${attr.kernel.name}"
    operator  = "set_contains_any"
    value     = "plan9,linux"
  }

  task "solo" {
    driver = "raw_exec"
    config {
      command = "/bin/sh"
      args    = ["-c", "echo ran in group $APPMESH_GROUP_NAME > %s"]
    }
    resources {
      cpu        = "50"
      memory     = 32
      memory_max = -1
    }
  }
}
`, id, out))
	if r := a.cli("job run", file); r.code != 0 {
		a.fatalf("job run: %s", r)
	}
	a.waitFor("the task to write its file", func() (bool, string) {
		b, err := os.ReadFile(out)
		return err == nil && strings.TrimSpace(string(b)) == "ran in group solo", fmt.Sprintf("%q %v", b, err)
	})
	var job struct {
		Priority int `json:"priority"`
		Groups   []struct {
			Name string `json:"name"`
		} `json:"groups"`
	}
	a.getJSON("/v1/job/"+id, &job)
	if job.Priority != 70 || len(job.Groups) != 1 || job.Groups[0].Name != "solo" {
		a.fatalf("stored job: %+v; want priority 70 and one group named solo", job)
	}
}
