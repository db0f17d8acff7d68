package e2e

import (
	"strings"
	"testing"
)

// TestNomadOnlyFeaturesNamed validates, on a real agent, a job file in
// Nomad's syntax that uses Nomad features appmesh lacks: `job validate`
// and `job run` fail, and each feature is named as a Nomad feature with
// its enclosing block, not reported as a typo. Nothing is registered.
func TestNomadOnlyFeaturesNamed(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	file := writeFile(t, "nomad-only.nomad.hcl", `job "nomad-only" {
  datacenters = ["*"]
  group "g" {
    network {
      port "http" {
        host_network = "public"
      }
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
      vault {
        policies = ["db"]
      }
      resources {
        device "nvidia/gpu" {
          count = 1
        }
      }
    }
  }
}
`)
	want := []string{
		"`vault` is a Nomad feature appmesh does not support (found in a task block)",
		"`host_network` is a Nomad feature appmesh does not support (found in a port block)",
		"`device` is a Nomad feature appmesh does not support (found in a resources block)",
	}
	for _, cmd := range []string{"job validate", "job run"} {
		r := a.cli(cmd, file)
		for _, w := range want {
			if r.code == 0 || !strings.Contains(r.stdout+r.stderr, w) {
				t.Errorf("%s: want a failure naming %q, got %s", cmd, w, r)
			}
		}
	}
	if s := a.cli("job status", "nomad-only"); s.code == 0 {
		t.Errorf("job nomad-only was registered: %s", s)
	}
}
