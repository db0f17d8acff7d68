package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// canaryHCL is a Nomad-syntax service of two copies whose updates start
// with one canary that waits for `job promote`.
func canaryHCL(sleep int) string { return canaryHCLWith(sleep, false, "task_states") }

func canaryHCLWith(sleep int, autoPromote bool, healthCheck string) string {
	return fmt.Sprintf(`job "canary" {
  type = "service"

  update {
    max_parallel      = 1
    canary            = 1
    auto_promote      = %t
    auto_revert       = true
    min_healthy_time  = "300ms"
    healthy_deadline  = "1m"
    progress_deadline = "2m"
    health_check      = %q
    stagger           = "30s"
  }

  group "web" {
    count = 2

    task "server" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "exec sleep %d"]
      }
      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
`, autoPromote, healthCheck, sleep)
}

// canaryAlloc is what this test reads of an allocation.
type canaryAlloc struct {
	ID            string `json:"id"`
	JobVersion    uint64 `json:"job_version"`
	DesiredStatus string `json:"desired_status"`
	ClientStatus  string `json:"client_status"`
	Healthy       *bool  `json:"healthy"`
	Canary        bool   `json:"canary"`
}

// deploymentView is what this test reads of a deployment (Nomad's names).
type deploymentView struct {
	ID                string
	JobVersion        uint64
	Status            string
	StatusDescription string
	TaskGroups        map[string]struct {
		Promoted        bool
		DesiredCanaries int
		PlacedCanaries  []string
		HealthyAllocs   int
	}
}

// A canary update on a dev agent: v0 runs 2 copies; v1 places 1 canary
// next to the 2 old ones, which keep running until `job promote`; then
// the rollout replaces them and ends with 2 allocations of v1 and the
// deployment successful.
func TestCanaryDeploymentPromote(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	oldSleep, oldMarker := taskSleep(21)
	newSleep, newMarker := taskSleep(22)
	a.track(oldMarker)
	a.track(newMarker)

	if run := a.cli("job run", "-detach", writeFile(t, "v0.hcl", canaryHCL(oldSleep))); run.code != 0 {
		a.fatalf("job run v0: want exit 0\n%s", run)
	}
	waitDeployment := a.deploymentWaiter()
	waitDeployment("deployment of version 0 successful", func(d deploymentView) bool {
		return d.JobVersion == 0 && d.Status == "successful"
	})
	a.waitProcs(oldMarker, 2)

	// Without -detach, job run says what happens next.
	run := a.cli("job run", writeFile(t, "v1.hcl", canaryHCL(newSleep)))
	if run.code != 0 || !strings.Contains(run.stdout, `1 canary allocation(s) run next to the old ones; promote them with "appmesh job promote canary"`) {
		a.fatalf("job run v1: want exit 0 and the canary hint\n%s", run)
	}
	d := waitDeployment("version 1 waiting for promotion", func(d deploymentView) bool {
		return d.JobVersion == 1 && d.Status == "running" && strings.Contains(d.StatusDescription, "requires manual promotion")
	})
	if g := d.TaskGroups["web"]; g.DesiredCanaries != 1 || len(g.PlacedCanaries) != 1 || g.Promoted || g.HealthyAllocs != 1 {
		t.Fatalf("group web of deployment %s: %+v, want 1 healthy canary, not promoted", d.ID, g)
	}
	allocs := a.canaryAllocs()
	if n := countAllocs(allocs, func(al canaryAlloc) bool { return al.Canary && al.JobVersion == 1 }); n != 1 {
		t.Fatalf("%d canaries of version 1, want 1: %+v", n, allocs)
	}
	if n := countAllocs(allocs, func(al canaryAlloc) bool { return !al.Canary && al.JobVersion == 0 && al.DesiredStatus == "run" }); n != 2 {
		t.Fatalf("%d old allocations still desired running, want 2 next to the canary: %+v", n, allocs)
	}
	a.waitProcs(oldMarker, 2)
	a.waitProcs(newMarker, 1)
	st := a.cli("deployment status", d.ID[:8])
	if st.code != 0 || !strings.Contains(st.stdout, "requires manual promotion") || !strings.Contains(st.stdout, "1/1") {
		t.Errorf("deployment status before the promotion:\n%s", st)
	}

	if js := a.cli("job status", "canary"); !strings.Contains(js.stdout, "Latest Deployment") || !strings.Contains(js.stdout, "requires manual promotion") {
		t.Errorf("job status before the promotion lacks the latest deployment:\n%s", js)
	}

	if pr := a.cli("job promote", "canary"); pr.code != 0 || !strings.Contains(pr.stdout, "promoted") {
		a.fatalf("job promote: want exit 0\n%s", pr)
	}
	waitDeployment("version 1 successful", func(d deploymentView) bool {
		return d.JobVersion == 1 && d.Status == "successful" && d.TaskGroups["web"].Promoted
	})
	allocs = a.canaryAllocs()
	if n := countAllocs(allocs, func(al canaryAlloc) bool {
		return al.JobVersion == 1 && al.DesiredStatus == "run" && al.ClientStatus == "running"
	}); n != 2 {
		t.Fatalf("%d running allocations of version 1, want 2: %+v", n, allocs)
	}
	if n := countAllocs(allocs, func(al canaryAlloc) bool { return al.JobVersion == 0 && al.DesiredStatus == "run" }); n != 0 {
		t.Fatalf("%d allocations of version 0 still desired running, want 0: %+v", n, allocs)
	}
	a.waitProcs(newMarker, 2)
	a.waitProcs(oldMarker, 0)
	list := a.cli("deployment list")
	if list.code != 0 || !strings.Contains(list.stdout, d.ID[:8]) || !strings.Contains(list.stdout, "successful") {
		t.Errorf("deployment list:\n%s", list)
	}
	// A promotion of a finished deployment is refused with the reason.
	if again := a.cli("deployment promote", d.ID); again.code == 0 || !strings.Contains(again.stderr, "is successful, not running") {
		t.Errorf("promote of a successful deployment: want a refusal naming its status\n%s", again)
	}
}

// deploymentWaiter returns a function that waits until the newest
// deployment of job "canary" satisfies cond, and returns it.
func (a *agent) deploymentWaiter() func(what string, cond func(d deploymentView) bool) deploymentView {
	return func(what string, cond func(d deploymentView) bool) deploymentView {
		a.t.Helper()
		var d deploymentView
		a.waitFor(what, func() (bool, string) {
			d = deploymentView{}
			a.getJSON("/v1/job/canary/deployment", &d)
			return cond(d), fmt.Sprintf("%+v", d)
		})
		return d
	}
}

func (a *agent) canaryAllocs() []canaryAlloc {
	a.t.Helper()
	var out []canaryAlloc
	a.getJSON("/v1/job/canary/allocations", &out)
	return out
}

func countAllocs(allocs []canaryAlloc, keep func(canaryAlloc) bool) int {
	n := 0
	for _, al := range allocs {
		if keep(al) {
			n++
		}
	}
	return n
}

// With auto_promote the servers promote the healthy canary by themselves
// and the rollout ends with 2 allocations of the new version.
func TestCanaryDeploymentAutoPromote(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	oldSleep, oldMarker := taskSleep(23)
	newSleep, newMarker := taskSleep(24)
	a.track(oldMarker)
	a.track(newMarker)
	waitDeployment := a.deploymentWaiter()
	if run := a.cli("job run", "-detach", writeFile(t, "v0.hcl", canaryHCLWith(oldSleep, true, "checks"))); run.code != 0 {
		a.fatalf("job run v0: want exit 0\n%s", run)
	}
	waitDeployment("deployment of version 0 successful", func(d deploymentView) bool {
		return d.JobVersion == 0 && d.Status == "successful"
	})
	if run := a.cli("job run", "-detach", writeFile(t, "v1.hcl", canaryHCLWith(newSleep, true, "checks"))); run.code != 0 {
		a.fatalf("job run v1: want exit 0\n%s", run)
	}
	d := waitDeployment("version 1 promoted by itself and successful", func(d deploymentView) bool {
		return d.JobVersion == 1 && d.Status == "successful"
	})
	if g := d.TaskGroups["web"]; !g.Promoted || len(g.PlacedCanaries) != 1 {
		t.Fatalf("group web: %+v, want 1 canary, promoted", g)
	}
	a.waitProcs(newMarker, 2)
	a.waitProcs(oldMarker, 0)
}

// health_check = "manual": the operator sets health through the API. A
// canary that is not healthy cannot be promoted; `deployment fail` fails
// the update and auto_revert goes back to version 0, whose allocations
// never stopped, and the canary is stopped.
func TestCanaryDeploymentManualHealthFailReverts(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	oldSleep, oldMarker := taskSleep(25)
	newSleep, newMarker := taskSleep(26)
	a.track(oldMarker)
	a.track(newMarker)
	waitDeployment := a.deploymentWaiter()
	if run := a.cli("job run", "-detach", writeFile(t, "v0.hcl", canaryHCLWith(oldSleep, false, "manual"))); run.code != 0 {
		a.fatalf("job run v0: want exit 0\n%s", run)
	}
	a.waitProcs(oldMarker, 2)
	d0 := waitDeployment("deployment of version 0 with 2 allocations", func(d deploymentView) bool { return d.JobVersion == 0 })
	var old []string
	for _, al := range a.canaryAllocs() {
		old = append(old, al.ID)
	}
	if len(old) != 2 {
		t.Fatalf("version 0 has %d allocations, want 2", len(old))
	}
	body := fmt.Sprintf(`{"HealthyAllocationIDs": [%q, %q]}`, old[0], old[1])
	if r := a.request("POST", "/v1/deployment/allocation-health/"+d0.ID, []byte(body)); r.status != 200 {
		a.fatalf("allocation-health: status %d: %s", r.status, r.body)
	}
	waitDeployment("deployment of version 0 successful", func(d deploymentView) bool {
		return d.JobVersion == 0 && d.Status == "successful"
	})

	if run := a.cli("job run", "-detach", writeFile(t, "v1.hcl", canaryHCLWith(newSleep, false, "manual"))); run.code != 0 {
		a.fatalf("job run v1: want exit 0\n%s", run)
	}
	a.waitProcs(newMarker, 1)
	d1 := waitDeployment("version 1 with its canary placed", func(d deploymentView) bool {
		return d.JobVersion == 1 && len(d.TaskGroups["web"].PlacedCanaries) == 1
	})
	pr := a.cli("job promote", "canary")
	if pr.code == 0 || !strings.Contains(pr.stderr, `group "web" has 0 of 1 canaries healthy`) {
		t.Fatalf("promote with an unjudged canary: want a refusal naming the group\n%s", pr)
	}
	fail := a.cli("deployment fail", d1.ID[:8])
	if fail.code != 0 || !strings.Contains(fail.stdout, "job reverted to version 0") {
		a.fatalf("deployment fail: want exit 0 and a revert\n%s", fail)
	}
	failed := a.cli("deployment status", d1.ID)
	if !strings.Contains(failed.stdout, "failed") || !strings.Contains(failed.stdout, "marked as failed by an operator") {
		t.Errorf("deployment status of the failed deployment:\n%s", failed)
	}
	waitDeployment("version 2 (the revert) successful", func(d deploymentView) bool {
		return d.JobVersion == 2 && d.Status == "successful"
	})
	a.waitProcs(newMarker, 0)
	a.waitProcs(oldMarker, 2)
	for _, al := range a.canaryAllocs() {
		keep := al.ID == old[0] || al.ID == old[1]
		if keep != (al.DesiredStatus == "run") || (keep && al.JobVersion != 2) {
			t.Errorf("after the revert: %+v; want only the 2 original allocations running, at version 2", al)
		}
	}
}

// progressHCL: one canary whose script check exits with checkExit; no
// healthy_deadline, so only progress_deadline can fail the update.
func progressHCL(sleep int, checkExit, deadline string) string {
	return fmt.Sprintf(`job "canary" {
  type = "service"
  update {
    canary            = 1
    auto_revert       = true
    progress_deadline = %q
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
`, deadline, sleep, checkExit)
}

// A canary that never turns healthy fails the update once its
// progress_deadline passed, and auto_revert goes back to version 0. (Only
// version 1 has the short deadline: version 0 must become stable first
// even on a loaded machine.)
func TestCanaryProgressDeadlineReverts(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	oldSleep, oldMarker := taskSleep(27)
	newSleep, newMarker := taskSleep(28)
	a.track(oldMarker)
	a.track(newMarker)
	waitDeployment := a.deploymentWaiter()
	if run := a.cli("job run", "-detach", writeFile(t, "v0.hcl", progressHCL(oldSleep, "0", "2m"))); run.code != 0 {
		a.fatalf("job run v0: want exit 0\n%s", run)
	}
	waitDeployment("deployment of version 0 successful", func(d deploymentView) bool {
		return d.JobVersion == 0 && d.Status == "successful"
	})
	if run := a.cli("job run", "-detach", writeFile(t, "v1.hcl", progressHCL(newSleep, "1", "4s"))); run.code != 0 {
		a.fatalf("job run v1: want exit 0\n%s", run)
	}
	waitDeployment("the revert (version 2) successful", func(d deploymentView) bool {
		return d.JobVersion == 2 && d.Status == "successful"
	})
	var failed deploymentView
	var all []deploymentView
	a.getJSON("/v1/job/canary/deployments", &all)
	for _, d := range all {
		if d.JobVersion == 1 {
			failed = d
		}
	}
	if failed.Status != "failed" || !strings.Contains(failed.StatusDescription, "no allocation became healthy within progress_deadline 4s") ||
		!strings.Contains(failed.StatusDescription, "reverting to stable version 0") {
		t.Fatalf("deployment of version 1: %+v, want failed by its progress deadline and reverted", failed)
	}
	a.waitProcs(newMarker, 0)
	a.waitProcs(oldMarker, 2)
}
