package client

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// A script check that starts failing makes the allocation unhealthy on the
// servers, and check_restart restarts the task.
func TestClient_ScriptCheckHealthAndRestart(t *testing.T) {
	srv := newTestServer(t)
	c := newTestClient(t, srv, t.TempDir())
	job := shJob("checked", `exec sleep 600`)
	task := job.Groups[0].Tasks[0]
	// Healthy until the task dir holds a file named "sick".
	task.Checks = []*structs.Check{{Name: "selftest", Type: structs.CheckTypeScript, Command: "/bin/sh",
		Args:         []string{"-c", `test ! -f "$APPMESH_TASK_DIR/sick" || { echo sick; exit 2; }`},
		Interval:     structs.Duration(100 * time.Millisecond),
		CheckRestart: &structs.CheckRestart{Limit: 3}}}
	srv.addJob(job)
	alloc := newAlloc(c, job)
	srv.upsertAlloc(alloc)

	healthIs := func(want bool) func() bool {
		return func() bool { h := srv.alloc(alloc.ID).Healthy; return h != nil && *h == want }
	}
	waitFor(t, "alloc healthy on the server", healthIs(true))
	ts := srv.alloc(alloc.ID).TaskStates["web"]
	if ts.Health != structs.HealthHealthy || ts.Starts != 1 || len(ts.Checks) != 1 || ts.Checks[0].Name != "selftest" {
		t.Fatalf("task state: %+v", ts)
	}
	dir := c.runner(alloc.ID).AllocDir()
	if err := writeEmpty(dir.TaskDir("web") + "/sick"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "alloc unhealthy on the server", healthIs(false))
	if out := srv.alloc(alloc.ID).TaskStates["web"].Checks[0].Output; !strings.Contains(out, "sick") {
		t.Fatalf("want the check's output on the server, got %q", out)
	}
	waitFor(t, "restart by check_restart", func() bool {
		ts := srv.alloc(alloc.ID).TaskStates["web"]
		return ts != nil && ts.Starts >= 2
	})
	var ev *structs.TaskEvent
	for _, e := range srv.alloc(alloc.ID).TaskStates["web"].Events {
		if e.Type == structs.TaskEventRestarting {
			ev = e
		}
	}
	if ev == nil || !strings.Contains(ev.Message, "health check selftest failed 3 times") {
		t.Fatalf("want a Restarting event from the check: %+v", ev)
	}
}

func writeEmpty(path string) error { return os.WriteFile(path, nil, 0o644) }
