package e2e

import (
	"fmt"
	"sort"
	"testing"
	"time"
)

// staggerHCL is a three-copy service in Nomad's syntax whose updates roll
// one at a time, each batch stagger after the previous one.
func staggerHCL(version string, sleep int) string {
	return fmt.Sprintf(`job "staggered" {
  update {
    max_parallel = 1
    stagger      = "3s"
  }
  group "web" {
    count = 3
    task "server" {
      driver = "exec"
      env {
        VERSION = %q
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "exec sleep %d"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, version, sleep)
}

// update.stagger spaces the batches of a rolling update: the three
// replacements of version 1 are created at least 3s apart, although each
// runs (and so frees the next batch) within a moment.
func TestRollingUpdateStagger(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	secs, marker := taskSleep(83)
	a.track(marker)
	if run := a.cli("job run", "-detach", writeFile(t, "v0.hcl", staggerHCL("0", secs))); run.code != 0 {
		a.fatalf("job run v0: want exit 0\n%s", run)
	}
	a.waitAllocs("staggered", "3 running", func(allocs []alloc) (bool, string) {
		return countStatus(allocs, "run", "running") == 3, describeAllocs(allocs)
	})
	if run := a.cli("job run", "-detach", writeFile(t, "v1.hcl", staggerHCL("1", secs))); run.code != 0 {
		a.fatalf("job run v1: want exit 0\n%s", run)
	}
	type versioned struct {
		JobVersion   uint64 `json:"job_version"`
		CreateTime   int64  `json:"create_time"`
		ClientStatus string `json:"client_status"`
	}
	var created []int64
	deadline := time.Now().Add(60 * time.Second)
	for len(created) < 3 {
		if time.Now().After(deadline) {
			a.fatalf("the update did not finish: %d replacements after 60s", len(created))
		}
		var allocs []versioned
		a.getJSON("/v1/job/staggered/allocations", &allocs)
		created = created[:0]
		for _, al := range allocs {
			if al.JobVersion == 1 {
				created = append(created, al.CreateTime)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	sort.Slice(created, func(i, j int) bool { return created[i] < created[j] })
	for i := 1; i < len(created); i++ {
		gap := time.Duration(created[i] - created[i-1])
		t.Logf("batch %d started %s after the previous one", i+1, gap.Round(100*time.Millisecond))
		if gap < 3*time.Second {
			t.Fatalf("batch %d started %s after the previous one: less than stagger 3s", i+1, gap)
		}
	}
}
