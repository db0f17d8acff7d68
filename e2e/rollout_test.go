package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// checkedServiceHCL is a two-copy service whose task runs a script check
// exiting with checkExit; updates roll one at a time and revert on failure.
func checkedServiceHCL(id, checkExit string, sleep int) string {
	return fmt.Sprintf(`job %q {
  type = "service"
  update {
    max_parallel     = 1
    min_healthy_time = "300ms"
    healthy_deadline = "3s"
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
        type     = "script"
        command  = "/bin/sh"
        args     = ["-c", "exit %s"]
        interval = "200ms"
      }
      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
`, id, sleep, checkExit)
}

// A rolling update whose new version fails its check is marked failed and
// reverted to the stable version, through the real binary and its CLI.
func TestRollingUpdateAutoRevert(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	good, goodMarker := taskSleep(41)
	bad, badMarker := taskSleep(42)
	a.track(goodMarker)
	a.track(badMarker)

	if run := a.cli("job run", "-detach", writeFile(t, "v0.hcl", checkedServiceHCL("rollout", "0", good))); run.code != 0 {
		a.fatalf("job run v0: want exit 0\n%s", run)
	}
	historyRow := func(version int, rest string) func() (bool, string) {
		re := regexp.MustCompile(fmt.Sprintf(`(?m)^%d\s+false\s+%s`, version, rest))
		return func() (bool, string) {
			h := a.cli("job history", "rollout")
			return re.MatchString(h.stdout), h.stdout
		}
	}
	a.waitFor("version 0 stable in job history", historyRow(0, `true\s`))

	if run := a.cli("job run", "-detach", writeFile(t, "v1.hcl", checkedServiceHCL("rollout", "1", bad))); run.code != 0 {
		a.fatalf("job run v1: want exit 0\n%s", run)
	}
	a.waitFor("version 1 failed in job history", historyRow(1, `false \(update failed\)`))
	a.waitFor("the revert (version 2) stable", historyRow(2, `true\s`))

	st := a.cli("job status", "rollout")
	for _, want := range []string{"Failed Update", "update to version 1 failed", "not healthy within healthy_deadline 3s",
		"reverting to stable version 0"} {
		if !strings.Contains(st.stdout, want) {
			t.Errorf("job status lacks %q:\n%s", want, st)
		}
	}
	a.waitProcs(goodMarker, 2)
	a.waitProcs(badMarker, 0)
}

// A crashing service task is rescheduled after its delay, once.
func TestFailedServiceRescheduled(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	job := `job "crashy" {
  type = "service"
  group "g" {
    restart { attempts = 0 }
    reschedule {
      attempts       = 1
      interval       = "1h"
      delay          = "2s"
      delay_function = "constant"
    }
    task "t" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "exit 4"]
      }
      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
`
	if run := a.cli("job run", "-detach", writeFile(t, "crashy.hcl", job)); run.code != 0 {
		a.fatalf("job run: want exit 0\n%s", run)
	}
	allocs := a.waitAllocs("crashy", "two failed allocations", func(allocs []alloc) (bool, string) {
		return countStatus(allocs, "run", "failed") == 2, ""
	})
	var rescheduled int
	for _, al := range allocs {
		st := a.cli("alloc status", al.ID)
		if strings.Contains(st.stdout, "Reschedule Attempts") {
			rescheduled++
			if !regexp.MustCompile(`Reschedule Attempts\s*=\s*1 \(last at .* after 2s\)`).MatchString(st.stdout) ||
				!strings.Contains(st.stdout, "none: reschedule attempts exhausted (1 of 1 within 1h0m0s)") {
				t.Errorf("alloc status of the replacement:\n%s", st)
			}
		}
	}
	if rescheduled != 1 {
		t.Fatalf("%d allocations show reschedule attempts, want 1 (the replacement)", rescheduled)
	}
}
