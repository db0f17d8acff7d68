package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEphemeralDiskMigratesAcrossNodes: a job file in Nomad's syntax with
// ephemeral_disk { migrate = true sticky = true } runs on c1; each start
// of its task appends a line to alloc/data/starts and to local/starts.
// c1 is drained, so the replacement can only go to c2: its client fetches
// the previous allocation's data from c1 through the server before the
// task starts, and the task finds one earlier line in each file.
func TestEphemeralDiskMigratesAcrossNodes(t *testing.T) {
	t.Parallel()
	c := newProcCluster(t)
	secs := taskSleep(63)
	c.track(secs)
	server, c1, c2 := startServerAndTwoClients(t, c)
	api := server.api

	job := fmt.Sprintf(`job "sticky" {
  datacenters = ["dc1"]
  group "g" {
    ephemeral_disk {
      migrate = true
      sticky  = true
      size    = 50
    }
    task "t" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo start >> $APPMESH_ALLOC_DIR/alloc/data/starts; mkdir -p $APPMESH_TASK_DIR/local; echo start >> $APPMESH_TASK_DIR/local/starts; exec /bin/sleep %d"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, secs)
	runJobFile(t, c, server, "sticky", job)
	first := waitRunningOn(t, api, "sticky", 1, "c1")[0]
	firstData := filepath.Join(c1.dataDir, "client", "alloc", first.ID, "alloc", "data", "starts")
	waitFor(t, 30*time.Second, "the first start recorded", func() error {
		return wantLines(firstData, 1)
	}, func() string { return describeAlloc(api, first.ID) })
	c2.start()
	waitFor(t, 30*time.Second, "two ready nodes", func() error { return readyNodes(api, 2) }, nil)

	if out, err := cli(t, server, "node", "drain", "-enable", "c1"); err != nil {
		t.Fatalf("node drain: %v\n%s", err, out)
	}
	var second alloc
	waitFor(t, 60*time.Second, "the replacement running on c2", func() error {
		allocs, err := api.jobAllocs("sticky")
		if err != nil {
			return err
		}
		if r := running(allocs); len(r) != 1 || r[0].NodeName != "c2" {
			return fmt.Errorf("%s", allocSummary(allocs))
		}
		second = running(allocs)[0]
		return nil
	}, nil)
	dir := filepath.Join(c2.dataDir, "client", "alloc", second.ID)
	waitFor(t, 30*time.Second, "both files carried over and appended to", func() error {
		if err := wantLines(filepath.Join(dir, "alloc", "data", "starts"), 2); err != nil {
			return err
		}
		return wantLines(filepath.Join(dir, "t", "local", "starts"), 2)
	}, func() string { return c2.logTail() })

	var full struct {
		TaskStates map[string]struct {
			Events []struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"events"`
		} `json:"task_states"`
	}
	if err := api.get("/v1/allocation/"+second.ID, &full); err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, e := range full.TaskStates["t"].Events {
		events = append(events, e.Type+": "+e.Message)
	}
	if !strings.Contains(strings.Join(events, "\n"), "Migrated Data: copied") {
		t.Fatalf("no Migrated Data event on the replacement:\n%s", strings.Join(events, "\n"))
	}
}

// wantLines checks that the file has exactly n lines.
func wantLines(path string, n int) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if got := strings.Count(string(data), "\n"); got != n {
		return fmt.Errorf("%s has %d lines, want %d: %q", path, got, n, data)
	}
	return nil
}

// describeAlloc is an allocation's full JSON, for failure messages.
func describeAlloc(api *apiClient, id string) string {
	var raw map[string]any
	if err := api.get("/v1/allocation/"+id, &raw); err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%v", raw["task_states"])
}
