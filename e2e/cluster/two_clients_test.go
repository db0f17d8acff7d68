package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// startServerAndTwoClients starts one server and prepares clients c1 and
// c2 of it; c1 is started and ready, c2 is left for the test to start
// once its work has landed on c1: the shape of the tests that move work
// from one node to the other.
func startServerAndTwoClients(t *testing.T, c *procCluster) (server, c1, c2 *procAgent) {
	t.Helper()
	server = c.startServers(1)[0]
	c1 = c.newClient("c1", server)
	c2 = c.newClient("c2", server)
	c1.start()
	waitFor(t, 30*time.Second, "c1 ready", func() error { return readyNodes(server.api, 1) }, nil)
	return server, c1, c2
}

// runJobFile writes a job file named after id into the cluster's directory
// and runs it detached through the CLI of agent a, as a user would.
func runJobFile(t *testing.T, c *procCluster, a *procAgent, id, hcl string) {
	t.Helper()
	path := filepath.Join(c.dir, id+".hcl")
	if err := os.WriteFile(path, []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := cli(t, a, "job", "run", "-detach", path); err != nil {
		t.Fatalf("job run %s: %v\n%s", id, err, out)
	}
}

// waitRunningOn waits until the job has exactly n running allocations, all
// on the named node, and returns them.
func waitRunningOn(t *testing.T, api *apiClient, job string, n int, node string) []alloc {
	t.Helper()
	var run []alloc
	waitFor(t, 30*time.Second, fmt.Sprintf("%s: %d running on %s", job, n, node), func() error {
		allocs, err := api.jobAllocs(job)
		if err != nil {
			return err
		}
		run = running(allocs)
		if len(run) != n {
			return fmt.Errorf("%s", allocSummary(allocs))
		}
		for _, a := range run {
			if a.NodeName != node {
				return fmt.Errorf("%s", allocSummary(allocs))
			}
		}
		return nil
	}, nil)
	return run
}
