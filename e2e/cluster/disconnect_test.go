package cluster

import (
	"fmt"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// signal sends sig to the agent process alone (SIGSTOP pauses its
// heartbeats; its driver plugins and tasks keep running).
func (a *procAgent) signal(sig syscall.Signal) {
	a.c.t.Helper()
	a.mu.Lock()
	cmd := a.cmd
	a.mu.Unlock()
	if cmd == nil {
		a.c.t.Fatalf("agent %s is not running", a.name)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		a.c.t.Fatalf("signal %v to agent %s: %v", sig, a.name, err)
	}
}

// disconnectJob is a job file in Nomad's syntax with a disconnect window.
func disconnectJob(id, window string, secs int) string {
	return fmt.Sprintf(`job %q {
  datacenters = ["dc1"]
  group "g" {
    count                 = 1
    max_client_disconnect = %q
    task "t" {
      driver = "exec"
      config {
        command = "/bin/sleep"
        args    = ["%d"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, id, window, secs)
}

// TestClientDisconnectWindow: a client agent paused with SIGSTOP stops
// heartbeating. Allocations of groups with max_client_disconnect become
// unknown (not lost) and are replaced on the other node. When the agent
// resumes within the window ("keep", 10m) its original allocation is kept
// and the replacement stopped; when the window ended first ("lose", 20s)
// the original is lost while the node is away and stopped when it returns.
func TestClientDisconnectWindow(t *testing.T) {
	t.Parallel()
	c := newProcCluster(t)
	keepSecs, loseSecs := taskSleep(60), taskSleep(61)
	c.track(keepSecs)
	c.track(loseSecs)
	server, c1, c2 := startServerAndTwoClients(t, c)
	api := server.api

	// Both jobs start on c1, the only node; c2 joins afterwards.
	for id, spec := range map[string]string{"keep": disconnectJob("keep", "10m", keepSecs), "lose": disconnectJob("lose", "20s", loseSecs)} {
		runJobFile(t, c, server, id, spec)
	}
	origs := map[string]alloc{}
	for _, id := range []string{"keep", "lose"} {
		origs[id] = waitRunningOn(t, api, id, 1, "c1")[0]
	}
	c2.start()
	waitFor(t, 30*time.Second, "two ready nodes", func() error { return readyNodes(api, 2) }, nil)

	c1.signal(syscall.SIGSTOP)
	paused := time.Now()
	t.Cleanup(func() { _ = c1.cmd.Process.Signal(syscall.SIGCONT) })
	for _, id := range []string{"keep", "lose"} {
		waitFor(t, 45*time.Second, id+": original unknown, replacement running on c2", func() error {
			allocs, err := api.jobAllocs(id)
			if err != nil {
				return err
			}
			orig := find(allocs, origs[id].ID)
			if orig.DesiredStatus != "run" || orig.ClientStatus != "unknown" {
				return fmt.Errorf("original %s/%s: %s", orig.DesiredStatus, orig.ClientStatus, allocSummary(allocs))
			}
			if r := running(allocs); len(r) != 1 || r[0].NodeName != "c2" {
				return fmt.Errorf("%s", allocSummary(allocs))
			}
			return nil
		}, nil)
	}
	if out, err := cli(t, server, "job", "status", "keep"); err != nil || !regexp.MustCompile(`Lost\s+Unknown\s*\n\s*g\s+0\s+0\s+1\s+0\s+0\s+0\s+1`).MatchString(out) {
		t.Fatalf("job status keep while c1 is paused: want one running and one unknown in the summary (%v):\n%s", err, out)
	}
	if n := taskProcs(keepSecs) + taskProcs(loseSecs); n != 4 {
		t.Fatalf("%d task processes while c1 is paused, want 4 (its tasks keep running)", n)
	}

	// The short window ends while c1 is still paused: lost.
	waitFor(t, 60*time.Second, "lose: original lost after its window", func() error {
		allocs, err := api.jobAllocs("lose")
		if err != nil {
			return err
		}
		if orig := find(allocs, origs["lose"].ID); orig.DesiredStatus != "stop" || orig.ClientStatus != "lost" {
			return fmt.Errorf("original %s/%s: %s", orig.DesiredStatus, orig.ClientStatus, allocSummary(allocs))
		}
		return nil
	}, nil)
	t.Logf("c1 paused for %s", time.Since(paused).Round(time.Second))

	c1.signal(syscall.SIGCONT)
	waitFor(t, 60*time.Second, "keep: the original runs again and its replacement stopped", func() error {
		allocs, err := api.jobAllocs("keep")
		if err != nil {
			return err
		}
		r := running(allocs)
		if len(r) != 1 || r[0].ID != origs["keep"].ID {
			return fmt.Errorf("%s", allocSummary(allocs))
		}
		return nil
	}, nil)
	waitFor(t, 60*time.Second, "one task process per job", func() error {
		if k, l := taskProcs(keepSecs), taskProcs(loseSecs); k != 1 || l != 1 {
			return fmt.Errorf("keep %d, lose %d task processes", k, l)
		}
		return nil
	}, nil)
	allocs, err := api.jobAllocs("lose")
	if err != nil {
		t.Fatal(err)
	}
	if r := running(allocs); len(r) != 1 || r[0].NodeName != "c2" {
		t.Fatalf("lose after c1 returned: %s", allocSummary(allocs))
	}
}

// find returns the allocation with the ID (zero if absent).
func find(allocs []alloc, id string) alloc {
	for _, a := range allocs {
		if a.ID == id {
			return a
		}
	}
	return alloc{}
}

// TestClientRestartWithinDisconnectWindow: the client agent is killed
// (its tasks keep running) and started again within the window; it
// registers again rather than heartbeating, and the original allocation
// is still kept and its replacement stopped.
func TestClientRestartWithinDisconnectWindow(t *testing.T) {
	t.Parallel()
	c := newProcCluster(t)
	secs := taskSleep(64)
	c.track(secs)
	server, c1, c2 := startServerAndTwoClients(t, c)
	api := server.api
	runJobFile(t, c, server, "again", disconnectJob("again", "10m", secs))
	orig := waitRunningOn(t, api, "again", 1, "c1")[0]
	c2.start()
	waitFor(t, 30*time.Second, "two ready nodes", func() error { return readyNodes(api, 2) }, nil)

	c1.kill9()
	waitFor(t, 45*time.Second, "original unknown, replacement running on c2", func() error {
		allocs, err := api.jobAllocs("again")
		if err != nil {
			return err
		}
		if o := find(allocs, orig.ID); o.ClientStatus != "unknown" {
			return fmt.Errorf("original %s/%s: %s", o.DesiredStatus, o.ClientStatus, allocSummary(allocs))
		}
		if r := running(allocs); len(r) != 1 || r[0].NodeName != "c2" {
			return fmt.Errorf("%s", allocSummary(allocs))
		}
		return nil
	}, nil)
	c1.start()
	waitFor(t, 60*time.Second, "the original kept, its replacement stopped", func() error {
		allocs, err := api.jobAllocs("again")
		if err != nil {
			return err
		}
		if r := running(allocs); len(r) != 1 || r[0].ID != orig.ID {
			return fmt.Errorf("%s", allocSummary(allocs))
		}
		if n := taskProcs(secs); n != 1 {
			return fmt.Errorf("%d task processes, want 1", n)
		}
		return nil
	}, nil)
}
