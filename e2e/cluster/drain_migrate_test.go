package cluster

import (
	"fmt"
	"testing"
	"time"
)

// migrateAlloc is the part of an allocation this test reads.
type migrateAlloc struct {
	ID               string `json:"id"`
	NodeName         string `json:"node_name"`
	DesiredStatus    string `json:"desired_status"`
	ClientStatus     string `json:"client_status"`
	Healthy          *bool  `json:"healthy"`
	DrainReplacement bool   `json:"drain_replacement"`
}

// TestDrainRespectsMigrate: a job file in Nomad's syntax with a migrate
// block (max_parallel 1, min_healthy_time 3s) runs 3 copies on c1; c1 is
// drained. The copies move to c2 one at a time: at no moment are more
// allocations stopped on c1 than replacements on c2 are healthy plus one,
// and the whole move takes at least two min_healthy_times.
func TestDrainRespectsMigrate(t *testing.T) {
	t.Parallel()
	c := newProcCluster(t)
	secs := taskSleep(62)
	c.track(secs)
	server, _, c2 := startServerAndTwoClients(t, c)
	api := server.api

	job := fmt.Sprintf(`job "paced" {
  datacenters = ["dc1"]
  migrate {
    max_parallel     = 1
    health_check     = "task_states"
    min_healthy_time = "3s"
    healthy_deadline = "1m"
  }
  group "g" {
    count = 3
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
`, secs)
	runJobFile(t, c, server, "paced", job)
	waitRunningOn(t, api, "paced", 3, "c1")
	c2.start()
	waitFor(t, 30*time.Second, "two ready nodes", func() error { return readyNodes(api, 2) }, nil)

	if out, err := cli(t, server, "node", "drain", "-enable", "-deadline", "10m", "c1"); err != nil {
		t.Fatalf("node drain: %v\n%s", err, out)
	}
	started := time.Now()
	var firstStop time.Time
	maxAhead := 0
	deadline := started.Add(90 * time.Second)
	for {
		var allocs []migrateAlloc
		if err := api.get("/v1/job/paced/allocations", &allocs); err != nil {
			t.Fatal(err)
		}
		stopped, healthy := 0, 0
		for _, a := range allocs {
			switch {
			case a.NodeName == "c1" && a.DesiredStatus == "stop":
				stopped++
			case a.NodeName == "c2" && a.DesiredStatus == "run" && a.Healthy != nil && *a.Healthy:
				if !a.DrainReplacement {
					t.Fatalf("a replacement on c2 is not marked as a drain's: %+v", a)
				}
				healthy++
			}
		}
		if stopped > 0 && firstStop.IsZero() {
			firstStop = time.Now()
		}
		maxAhead = max(maxAhead, stopped-healthy)
		if maxAhead > 1 {
			t.Fatalf("%d allocations stopped on c1 with only %d healthy replacements: max_parallel 1 not respected", stopped, healthy)
		}
		if stopped == 3 && healthy == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("drain not done after %s: %d stopped on c1, %d healthy on c2", time.Since(started), stopped, healthy)
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(firstStop)
	t.Logf("3 allocations moved one at a time in %s", took.Round(100*time.Millisecond))
	if took < 6*time.Second {
		t.Fatalf("the move took %s: less than two min_healthy_times of 3s, so it was not paced", took)
	}
	if n := taskProcs(secs); n != 3 {
		t.Fatalf("%d task processes after the drain, want 3", n)
	}
}
