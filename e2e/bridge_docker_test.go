package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/internal/testutil"
)

// TestBridgeNetworkDocker runs a bridge-mode group with a docker task and
// a raw_exec task on a real agent and Docker engine: the docker task
// serves HTTP on 8080 in the allocation's namespace (held by its pause
// container, which the client builds from its own binary), reached through
// the mapped host port; the raw_exec task reaches it on 127.0.0.1:8080, so
// both share one network; stopping the job removes the pause container
// and the namespace.
func TestBridgeNetworkDocker(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: bridge networking needs root")
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Fatal("the probe task uses /usr/bin/python3, which this host lacks: `make test` installs it (make python3)")
	}
	image := fmt.Sprintf("appmesh-e2e-bridge:%d", os.Getpid())
	if err := testutil.BuildScratchImage(image, "../drivers/docker/testdata/srv/main.go.txt"); err != nil {
		t.Fatalf("building the task image: %v", err)
	}
	t.Cleanup(func() { testutil.RemoveImage(image) })
	cfg := writeFile(t, "agent.hcl", "client {\n  enabled          = true\n  raw_exec_enabled = true\n}\n")
	a := startAgent(t, agentOptions{config: cfg})
	port := freePorts(t, 1)[0]
	job := writeFile(t, "bridge-docker.hcl", fmt.Sprintf(`job "bridged-docker" {
  datacenters = ["*"]
  group "web" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    network {
      mode     = "bridge"
      hostname = "docker-bridged"
      port "http" {
        static = %d
        to     = 8080
      }
    }
    task "web" {
      driver = "docker"
      config {
        image = %q
      }
      env {
        GREETING = "docker-bridged"
      }
    }
    task "probe" {
      driver = "raw_exec"
      config {
        command = "/usr/bin/python3"
        args    = ["-c", "import time, urllib.request\nwhile True:\n  try:\n    print(urllib.request.urlopen('http://127.0.0.1:8080/').read().decode(), flush=True)\n  except Exception as e:\n    print('not yet', e, flush=True)\n  time.sleep(1)"]
      }
    }
  }
}
`, port, image))
	if r := a.cli("job validate", job); r.code != 0 {
		a.fatalf("job validate: %s", r)
	}
	if r := a.cli("job run", "-detach", job); r.code != 0 {
		a.fatalf("job run: %s", r)
	}
	allocs := a.waitAllocs("bridged-docker", "a running allocation", func(al []alloc) (bool, string) {
		return len(al) == 1 && (al[0].ClientStatus == "running" || al[0].ClientStatus == "failed"), describeAllocs(al)
	})
	allocID := allocs[0].ID
	if allocs[0].ClientStatus != "running" {
		a.fatalf("allocation failed: %s", a.cli("alloc status", allocID))
	}
	a.waitFor("the docker task through host port "+fmt.Sprint(port), func() (bool, string) {
		c := &http.Client{Timeout: 5 * time.Second}
		r, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err != nil {
			return false, err.Error()
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return string(b) == "hello from docker-bridged\n", string(b)
	})
	a.waitFor("the raw_exec task to reach the docker task on 127.0.0.1:8080", func() (bool, string) {
		r := a.cli("alloc logs", allocID, "probe")
		return strings.Contains(r.stdout, "hello from docker-bridged"), r.stdout
	})
	pause := "appmesh-pause-" + allocID
	if out, err := exec.Command("docker", "inspect", "-f", "{{.State.Running}} {{.Config.Hostname}}", pause).CombinedOutput(); err != nil ||
		strings.TrimSpace(string(out)) != "true docker-bridged" {
		t.Errorf("pause container %s: %q (%v), want running with the group's hostname", pause, out, err)
	}
	if r := a.cli("job stop", "bridged-docker"); r.code != 0 {
		a.fatalf("job stop: %s", r)
	}
	a.waitFor("the pause container and namespace to be gone after job stop", func() (bool, string) {
		if err := exec.Command("docker", "inspect", pause).Run(); err == nil {
			return false, "pause container still exists"
		}
		if _, err := os.Stat("/var/run/netns/appmesh-" + allocID); err == nil {
			return false, "namespace file still exists"
		}
		return true, ""
	})
}
