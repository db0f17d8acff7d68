package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestJobFileVariables runs a job file in Nomad's syntax that uses
// variables, locals and functions, with values from APPMESH_VAR_, a
// -var-file and -var, on a real agent: the task must see the evaluated
// values and the stored job must hold no ${var...} text.
func TestJobFileVariables(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true})
	sec, marker := taskSleep(61)
	a.track(marker)

	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("motd.txt", "  welcome aboard \n")
	varFile := write("prod.vars", "tier = \"edge\"\n")
	jobFile := write("vars.hcl", `variable "seconds" {
  type = number
}
variable "greeting" {
  type    = string
  default = "hello"
}
variable "tier" {
  type    = string
  default = "dev"
  validation {
    condition     = contains(["dev", "edge"], var.tier)
    error_message = "tier must be dev or edge."
  }
}
locals {
  banner = "${upper(var.greeting)}-${var.tier}"
  motd   = trimspace(file("motd.txt"))
}
job "vars" {
  datacenters = ["*"]
  meta = {
    tier = var.tier
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", format("echo banner=$BANNER motd=$MOTD; exec sleep %d", var.seconds)]
      }
      env {
        BANNER = local.banner
        MOTD   = replace(local.motd, " ", "_")
      }
    }
  }
}
`)
	t.Setenv("APPMESH_VAR_greeting", "howdy")

	bad := a.cli("job run", "-var", fmt.Sprintf("seconds=%d", sec), "-var", "tier=core", jobFile)
	if bad.code != 1 || !strings.Contains(bad.stderr, "tier must be dev or edge.") {
		t.Fatalf("job run with a value failing validation: want exit 1 naming the rule, got %s", bad)
	}

	run := a.cli("job run", "-var-file", varFile, "-var", fmt.Sprintf("seconds=%d", sec), jobFile)
	if run.code != 0 {
		a.fatalf("job run with variables: %s", run)
	}
	allocs := a.waitAllocs("vars", "a running allocation", func(al []alloc) (bool, string) {
		return countStatus(al, "run", "running") == 1, describeAllocs(al)
	})
	a.waitProcs(marker, 1)
	id := allocs[0].ID
	a.waitFor("the task to print the evaluated variables", func() (bool, string) {
		r := a.cli("alloc logs", id)
		return r.code == 0 && strings.Contains(r.stdout, "banner=HOWDY-edge motd=welcome_aboard"), r.String()
	})

	inspect := a.cli("job inspect", "vars")
	if inspect.code != 0 || strings.Contains(inspect.stdout, "${var.") || strings.Contains(inspect.stdout, "${local.") {
		t.Errorf("job inspect: want the stored job without ${var...} text, got %s", inspect)
	}
	if stop := a.cli("job stop", "vars"); stop.code != 0 {
		t.Errorf("job stop vars: %s", stop)
	}
}
