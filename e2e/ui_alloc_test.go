package e2e

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestUIAllocPendingThenRunning: a newcomer clicks the allocation of a
// job just submitted, before its task runs (here its artifact is still
// downloading, held by the test's server). The page says so, and when the
// task starts the same page, without a reload, shows the logs, offers
// exec and samples resource use. Markup the task prints stays text. At a
// phone's width the allocation and job pages fit the screen with their
// actions on it, and Stop allocation stops it (a replacement follows).
func TestUIAllocPendingThenRunning(t *testing.T) {
	release := make(chan struct{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
			// Markup in a log is text: the page must show it, not build it.
			_, _ = w.Write([]byte(`artifact-body <b id="injected">bold</b>` + "\n"))
		case <-r.Context().Done():
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	released := false
	releaseOnce := func() {
		if !released {
			released = true
			close(release)
		}
	}
	t.Cleanup(func() { _ = srv.Close() })

	a := startAgent(t, agentOptions{dev: true})
	// Cleanups run last first: the artifact is released before the agent
	// stops, so that a failed test does not leave its client waiting on it.
	t.Cleanup(releaseOnce)
	seconds, marker := taskSleep(46)
	a.track(marker)
	job := fmt.Sprintf(`{"job":{"id":"slow-start","type":"service","groups":[{"name":"g","tasks":[{"name":"t","driver":"raw_exec",
	  "artifacts":[{"source":"http://%s/file.txt"}],
	  "config":{"command":"/bin/sh","args":["-c","cat local/file.txt; exec sleep %d"]},
	  "resources":{"cpu":50,"memory":32}}]}]}}`, ln.Addr(), seconds)
	if r := a.putJSON("/v1/jobs", job); r.status != http.StatusOK {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	allocs := a.waitAllocs("slow-start", "the allocation to wait for its artifact", func(list []alloc) (bool, string) {
		return len(list) == 1 && list[0].ClientStatus == "pending", fmt.Sprintf("%+v", list)
	})

	b := newBrowser(t, 1280, 900)
	b.open("open the pending allocation", a.addr+"/ui/#/alloc/"+allocs[0].ID)
	b.waitText("#main dl", "pending")
	b.waitText("#main", "the logs appear when one does")
	if b.exists("#exec-connect") || b.exists("#log-output") {
		t.Errorf("a pending allocation's page offers exec or a log before any task runs")
	}

	releaseOnce()
	b.waitText("#main dl", "running")
	b.waitText("#log-output", `artifact-body <b id="injected">bold</b>`)
	if b.exists("#injected") {
		t.Errorf("markup in a task's log became an element of the page")
	}
	b.waitText("#exec-status", "Not connected")
	b.waitText("#alloc-stats", "Memory (RSS)")
	a.waitProcs(marker, 1)

	// At a phone's width the allocation page and its job's page fit the
	// screen, and their actions are on it.
	b.atPhoneWidth()
	b.assertFits("the allocation page", "#restart-alloc", "#signal-name", "#send-signal", "#stop-alloc",
		"#log-type", "#log-output", "#exec-command", "#exec-connect")
	b.goHash("#/job/default/slow-start")
	b.waitText("#alloc-counts", "1 running")
	b.assertFits("the job page", `#main a[href$="/edit"]`, "#stop-job", `#main table a[href^="#/alloc/"]`)

	// Stop allocation (on the phone): the page shows it stopped, the
	// task's process ends, and the scheduler places a replacement.
	b.goHash("#/alloc/" + allocs[0].ID)
	b.waitText("#exec-status", "Not connected")
	b.click("#stop-alloc")
	b.waitText("#toast", "Stop requested")
	b.waitFor("the page to show the allocation stopped", func() (bool, string) {
		desired, status := b.field("Desired"), b.field("Status")
		return strings.HasPrefix(desired, "stop") && strings.Contains(status, "complete"), desired + " / " + status
	})
	if b.exists("#stop-alloc") {
		t.Errorf("a stopped allocation's page still offers Stop allocation")
	}
	a.waitAllocs("slow-start", "the stopped allocation and its replacement", func(list []alloc) (bool, string) {
		stopped, replaced := false, false
		for _, al := range list {
			stopped = stopped || (al.ID == allocs[0].ID && al.ClientStatus == "complete")
			replaced = replaced || al.ID != allocs[0].ID
		}
		return stopped && replaced, fmt.Sprintf("%+v", list)
	})
}
