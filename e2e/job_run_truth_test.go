package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestJobRunTellsTruth: job run reports what happened to what it
// submitted, against a real agent: a task its driver cannot start (the
// driver's message, not a 30s time-out), a task that exits at once, an
// in-place update, periodic and parameterized templates, and a task
// waiting for its daily window.
func TestJobRunTellsTruth(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true})
	run := func(name, hcl string) cliResult {
		t.Helper()
		return a.cli("job run", writeFile(t, name+".hcl", hcl))
	}
	sec, marker := taskSleep(81)
	a.track(marker)

	res := run("nocmd", `job "nocmd" { group "g" { task "t" { driver = "raw_exec"  config { command = "/nonexistent/cmd" } } } }`)
	if res.code != 1 || !strings.Contains(res.stderr, "/nonexistent/cmd") || strings.Contains(res.stderr, "Timed out") {
		t.Errorf("a task whose driver cannot start it: want exit 1 with the driver's message, got %s", res)
	}
	res = run("crash", `job "crash" { group "g" { task "t" { driver = "raw_exec"  config { command = "/bin/sh"  args = ["-c", "exit 3"] } } } }`)
	if res.code != 1 || !strings.Contains(res.stderr, "exit code 3") || strings.Contains(res.stdout, "placed and running") {
		t.Errorf("a task that exits at once: want exit 1 naming exit code 3, got %s", res)
	}

	web := `job "web" {
  meta { v = "%d" }
  group "g" { task "t" { driver = "raw_exec"  config { command = "/bin/sh"  args = ["-c", "exec sleep ` + fmt.Sprint(sec) + `"] } } }
}`
	if res = run("web", fmt.Sprintf(web, 1)); res.code != 0 || !strings.Contains(res.stdout, "1 allocation(s) placed and running") {
		t.Fatalf("a healthy service: %s", res)
	}
	if res = run("web", fmt.Sprintf(web, 2)); res.code != 0 || !strings.Contains(res.stdout, "updated in place") || strings.Contains(res.stdout, "up to date") {
		t.Errorf("a meta change: want \"updated in place\", got %s", res)
	}
	if res = run("web", fmt.Sprintf(web, 2)); res.code != 0 || !strings.Contains(res.stdout, "up to date") {
		t.Errorf("the same job again: want \"up to date\", got %s", res)
	}

	res = run("per", `job "per" {
  type = "batch"
  periodic { crons = ["0 0 3 * * *"] }
  group "g" { task "t" { driver = "raw_exec"  config { command = "/bin/true" } } }
}`)
	if res.code != 0 || !strings.Contains(res.stdout, `Job "per" is periodic`) {
		t.Errorf("a periodic job: want it reported as periodic, got %s", res)
	}
	res = run("par", `job "par" {
  type = "batch"
  parameterized {}
  group "g" { task "t" { driver = "raw_exec"  config { command = "/bin/true" } } }
}`)
	if res.code != 0 || !strings.Contains(res.stdout, `Job "par" is parameterized`) {
		t.Errorf("a parameterized job: want it reported as parameterized, got %s", res)
	}

	h := time.Now().UTC().Add(3 * time.Hour).Hour()
	res = run("win", fmt.Sprintf(`job "win" { group "g" { task "t" {
  driver = "raw_exec"
  config { command = "/bin/sh"  args = ["-c", "exec sleep %d"] }
  daily_window { start = "%02d:00"  end = "%02d:30"  time_zone = "UTC" }
} } }`, sec, h, h))
	if res.code != 0 || !strings.Contains(res.stdout, "waiting for its daily window") {
		t.Errorf("a task outside its daily window: want it reported as waiting, got %s", res)
	}
}
