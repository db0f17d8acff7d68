package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/internal/testutil"
)

// dockerTaskHCL is a one-task service job of the docker driver.
func dockerTaskHCL(id, image string) string {
	return fmt.Sprintf(`job %q {
  type = "service"
  group "web" {
    count = 1
    task "web" {
      driver = "docker"
      config {
        image = %q
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, id, image)
}

// jobContainers lists a job's containers, running or not, as "ID state".
func jobContainers(t *testing.T, jobID string) []string {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-a", "--no-trunc", "--filter", "label=appmesh.job_id="+jobID,
		"--format", "{{.ID}} {{.State}}").CombinedOutput()
	if err != nil {
		t.Fatalf("docker ps: %v: %s", err, out)
	}
	return strings.Fields(strings.ReplaceAll(strings.TrimSpace(string(out)), " ", "|"))
}

// The docker driver in the same crash window as TestCrashAfterTaskStart:
// the agent dies right after the container started, before it saved the
// handle. The restarted agent must take over that container: one
// container for the allocation, the same one, running, no driver failure.
// Before the fix the surviving plugin answered "already exists", the task
// failed and the restart policy could not start it either.
func TestCrashAfterDockerTaskStart(t *testing.T) {
	t.Parallel()
	if err := exec.Command("docker", "version").Run(); err != nil {
		t.Skipf("docker engine not reachable (%v): the docker driver's crash window needs one", err)
	}
	image := fmt.Sprintf("appmesh-e2e-crash:%d", os.Getpid())
	if err := testutil.BuildScratchImage(image, "../drivers/docker/testdata/srv/main.go.txt"); err != nil {
		t.Fatalf("building the task image: %v", err)
	}
	t.Cleanup(func() { testutil.RemoveImage(image) })
	jobID := fmt.Sprintf("crashdocker-%d", runTag)
	t.Cleanup(func() {
		_ = exec.Command("sh", "-c", "docker ps -aq --filter label=appmesh.job_id="+jobID+" | xargs -r docker rm -f").Run()
	})

	a := startAgent(t, agentOptions{env: []string{"APPMESH_FAULT_KILL_AFTER_START=web"}})
	a.waitFor("the docker driver to be healthy", func() (bool, string) {
		var nodes []struct {
			Drivers map[string]struct {
				Healthy bool `json:"healthy"`
			} `json:"drivers"`
		}
		a.getJSON("/v1/nodes", &nodes)
		return len(nodes) == 1 && nodes[0].Drivers["docker"].Healthy, fmt.Sprintf("%+v", nodes)
	})
	job := writeFile(t, "crashdocker.hcl", dockerTaskHCL(jobID, image))
	_ = a.cli("job run", "-detach", job)
	a.mu.Lock()
	exited := a.exited
	a.mu.Unlock()
	<-exited // the fault hook killed it

	var first []string
	a.waitFor("the container started before the crash", func() (bool, string) {
		first = jobContainers(t, jobID)
		return len(first) == 1 && strings.HasSuffix(first[0], "|running"), strings.Join(first, ", ")
	})

	a.opts.env = nil
	a.archiveLog()
	if err := a.start(); err != nil {
		a.fatalf("agent did not start again: %v", err)
	}
	allocs := a.waitAllocs(jobID, "the allocation to run under the new agent", func(as []alloc) (bool, string) {
		if len(as) != 1 || as[0].ClientStatus != "running" {
			return false, describeAllocs(as)
		}
		ts := as[0].TaskStates["web"]
		return ts != nil && ts.State == "running", describeAllocs(as)
	})
	if now := jobContainers(t, jobID); len(now) != 1 || now[0] != first[0] {
		a.fatalf("containers after the restart: %v; want only the one started before the crash (%s)", now, first[0])
	}
	for _, ev := range allocs[0].TaskStates["web"].Events {
		if ev.Type == "Driver Failure" {
			a.fatalf("driver failure after the restart: %s", ev.Message)
		}
	}
	// The container is the agent's again: stopping the job removes it.
	if r := a.cli("job stop", jobID); r.code != 0 {
		a.fatalf("job stop: %s", r)
	}
	a.waitFor("the container to be removed with the job", func() (bool, string) {
		cs := jobContainers(t, jobID)
		return len(cs) == 0, strings.Join(cs, ", ")
	})
}
