package e2e

import (
	"fmt"
	"net/http"
	"testing"
)

// Scenario 6: a non-dev agent keeps its jobs and allocations across a
// restart with the same -data-dir, and the job runs again afterwards.
func TestDurability(t *testing.T) { testDurability(t, 6) }

// testDurability is the scenario with the task marker n, so that the
// secure run (TestSecureDurability) and this one never see each other's
// tasks.
func testDurability(t *testing.T, n int) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: false})
	sec, marker := taskSleep(n)
	a.track(marker)

	run := a.cli("job run", writeFile(t, "svc.hcl", serviceHCL("svc", 2, fmt.Sprintf("echo up; exec sleep %d", sec))))
	if run.code != 0 {
		a.fatalf("job run: want exit 0\n%s", run)
	}
	before := a.waitAllocs("svc", "2 running allocations", func(allocs []alloc) (bool, string) {
		n := countStatus(allocs, "run", "running")
		return n == 2, fmt.Sprintf("%d running", n)
	})
	a.waitProcs(marker, 2)

	a.restart()

	var job jobInfo
	a.getJSON("/v1/job/svc", &job)
	if job.ID != "svc" || job.Type != "service" {
		t.Errorf("GET /v1/job/svc after restart: id %q type %q, want svc/service", job.ID, job.Type)
	}
	var after []alloc
	a.getJSON("/v1/job/svc/allocations", &after)
	ids := map[string]bool{}
	for _, al := range after {
		ids[al.ID] = true
	}
	for _, al := range before {
		if !ids[al.ID] {
			t.Errorf("allocation %s of before the restart is missing afterwards; have: %s", al.ID, describeAllocs(after))
		}
	}

	// Whether the client re-attached or replacements were placed, the job
	// must end up with its count of running allocations and task processes
	// (not more: a restart must not double the tasks).
	a.waitAllocs("svc", "2 running allocations after the restart", func(allocs []alloc) (bool, string) {
		n := countStatus(allocs, "run", "running")
		return n == 2, fmt.Sprintf("%d running", n)
	})
	a.waitProcs(marker, 2)
	a.waitFor("the job summary to count 2 running", func() (bool, string) {
		var jobs []jobStub
		r := a.getJSON("/v1/jobs", &jobs)
		for _, j := range jobs {
			if j.ID == "svc" && j.Summary["web"] != nil && j.Summary["web"].Running == 2 {
				return true, ""
			}
		}
		return false, string(r.body)
	})
	if st := a.jobStatus("svc"); st != "running" {
		t.Errorf("job status after restart: %q, want running", st)
	}
	r := a.request(http.MethodGet, "/v1/status/leader", nil)
	if r.status != http.StatusOK {
		t.Errorf("GET /v1/status/leader after restart: %d %s", r.status, r.body)
	}
}
