package e2e

import (
	"fmt"
	"regexp"
	"testing"
)

// onUpdateHCL is a two-copy service in Nomad's syntax with a check that
// always fails, whose on_update is given.
func onUpdateHCL(onUpdate string, sleep int) string {
	return fmt.Sprintf(`job "onupdate" {
  update {
    max_parallel     = 1
    min_healthy_time = "300ms"
    healthy_deadline = "4s"
    auto_revert      = true
  }
  group "web" {
    count = 2
    task "server" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "exec sleep %d"]
      }
      check {
        name      = "flaky"
        type      = "script"
        command   = "/bin/sh"
        args      = ["-c", "exit 2"]
        interval  = "200ms"
        on_update = %q
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, sleep, onUpdate)
}

// check.on_update = "ignore": a check that always fails does not hold
// back or fail a rolling update (the new version becomes stable); the
// same check with require_healthy fails the update and reverts it.
func TestCheckOnUpdateIgnore(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	v0, m0 := taskSleep(84)
	v1, m1 := taskSleep(85)
	v2, m2 := taskSleep(86)
	for _, m := range []string{m0, m1, m2} {
		a.track(m)
	}
	historyRow := func(version int, rest string) func() (bool, string) {
		re := regexp.MustCompile(fmt.Sprintf(`(?m)^%d\s+false\s+%s`, version, rest))
		return func() (bool, string) {
			h := a.cli("job history", "onupdate")
			return re.MatchString(h.stdout), h.stdout
		}
	}
	run := func(name, spec string) {
		if r := a.cli("job run", "-detach", writeFile(t, name, spec)); r.code != 0 {
			a.fatalf("job run %s: want exit 0\n%s", name, r)
		}
	}
	run("v0.hcl", onUpdateHCL("ignore", v0))
	a.waitFor("version 0 stable although its check fails", historyRow(0, `true\s`))
	run("v1.hcl", onUpdateHCL("ignore", v1))
	a.waitFor("version 1 stable although its check fails", historyRow(1, `true\s`))
	a.waitProcs(m1, 2)

	run("v2.hcl", onUpdateHCL("require_healthy", v2))
	a.waitFor("version 2 failed: its check counts", historyRow(2, `false \(update failed\)`))
}
