package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appmesh/appmesh/internal/testutil"
)

// TestNomadInitShortRuns runs jobspec/testdata/nomad/init-short.nomad.hcl,
// a job in Nomad's syntax using every block and attribute of `nomad job
// init -short`, on a dev agent with the docker driver: the container
// answers on the allocation's dynamic port, mapped to the network block's
// `to` port inside. The parts appmesh lacks (unsupported.txt) are taken
// out first, and the test says which.
func TestNomadInitShortRuns(t *testing.T) {
	t.Parallel()
	nomadInitImage(t, "kv-short")

	src, err := os.ReadFile("../jobspec/testdata/nomad/init-short.nomad.hcl")
	if err != nil {
		t.Fatal(err)
	}
	unsupported := readUnsupportedPaths(t)
	stripped, err := testutil.StripHCL(src, unsupported)
	if err != nil {
		t.Fatal(err)
	}
	var removed []string
	for _, p := range unsupported {
		if one, err := testutil.StripHCL(src, []string{p}); err == nil && string(one) != string(src) {
			removed = append(removed, p)
		}
	}
	if len(removed) > 0 {
		t.Logf("taken out of the file before running, as appmesh lacks them: %s", strings.Join(removed, ", "))
	}

	a := startAgent(t, agentOptions{dev: true})
	waitDockerHealthy(a)
	file := writeFile(t, "init-short.nomad.hcl", string(stripped))
	if r := a.cli("job run", file); r.code != 0 {
		a.fatalf("job run: %s", r)
	}
	allocs := a.waitAllocs("kv-short", "the allocation to run", func(as []alloc) (bool, string) {
		return len(as) == 1 && as[0].ClientStatus == "running", describeAllocs(as)
	})
	waitKVAnswers(a, allocs[0].ID)
	if r := a.cli("job stop", "kv-short"); r.code != 0 {
		a.fatalf("job stop: %s", r)
	}
}

// nomadInitImageMu lets one init example test at a time own the image both
// files name: each builds it and removes it when done.
var nomadInitImageMu sync.Mutex

// nomadInitImage skips without docker, else builds the image the init
// examples name (FROM scratch) and removes it, and the job's containers,
// when the test ends.
func nomadInitImage(t *testing.T, jobID string) {
	t.Helper()
	if err := exec.Command("docker", "version").Run(); err != nil {
		t.Skipf("docker engine not reachable (%v): the example's task uses the docker driver", err)
	}
	nomadInitImageMu.Lock()
	t.Cleanup(nomadInitImageMu.Unlock)
	// The files name this tag.
	const image = "appmesh-nomad-init:short"
	if err := testutil.BuildScratchImage(image, "../drivers/docker/testdata/srv/main.go.txt"); err != nil {
		t.Fatalf("building the task image: %v", err)
	}
	t.Cleanup(func() { testutil.RemoveImage(image) })
	t.Cleanup(func() {
		_ = exec.Command("sh", "-c", "docker ps -aq --filter label=appmesh.job_id="+jobID+" | xargs -r docker rm -f").Run()
	})
}

func waitDockerHealthy(a *agent) {
	a.t.Helper()
	a.waitFor("the docker driver to be healthy", func() (bool, string) {
		var nodes []struct {
			Drivers map[string]struct {
				Healthy bool `json:"healthy"`
			} `json:"drivers"`
		}
		a.getJSON("/v1/nodes", &nodes)
		return len(nodes) == 1 && nodes[0].Drivers["docker"].Healthy, fmt.Sprintf("%+v", nodes)
	})
}

// readUnsupportedPaths reads jobspec/testdata/nomad/unsupported.txt.
func readUnsupportedPaths(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("../jobspec/testdata/nomad/unsupported.txt")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		if line = strings.TrimSpace(line); line != "" {
			paths = append(paths, line)
		}
	}
	return paths
}

// waitKVAnswers checks that the allocation of Nomad's init job maps its
// "kv" port to the container's 8080 and waits for the container to answer
// on the host port it got.
func waitKVAnswers(a *agent, allocID string) {
	a.t.Helper()
	var full struct {
		AllocatedPorts []struct {
			Label string `json:"label"`
			Value int    `json:"value"`
			To    int    `json:"to"`
		} `json:"allocated_ports"`
	}
	a.getJSON("/v1/allocation/"+allocID, &full)
	if len(full.AllocatedPorts) != 1 || full.AllocatedPorts[0].Label != "kv" || full.AllocatedPorts[0].To != 8080 {
		a.fatalf("allocation %s ports: %+v; want kv with to = 8080", shortID(allocID), full.AllocatedPorts)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/", full.AllocatedPorts[0].Value)
	client := &http.Client{Timeout: 5 * time.Second}
	a.waitFor("the container to answer on the dynamic host port "+url, func() (bool, string) {
		resp, err := client.Get(url)
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && strings.HasPrefix(string(body), "hello from"), fmt.Sprintf("%d %q", resp.StatusCode, body)
	})
}
