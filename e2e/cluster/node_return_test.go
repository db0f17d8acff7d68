package cluster

import (
	"fmt"
	"testing"
	"time"
)

// TestNodeReturnsAndStopsReplacedWork: a client agent is killed (its tasks
// keep running, as tasks survive the agent); its node goes down and the
// work is placed on the other node; when the agent comes back it
// re-attaches to its old tasks, learns they were replaced, and stops them,
// so the job runs exactly count copies again.
func TestNodeReturnsAndStopsReplacedWork(t *testing.T) {
	t.Parallel()
	_, servers, c1, c2, secs := serverAndTwoClients(t, 3600)
	api := servers[0].api

	if err := api.register(sleepJob("back", 2, 32, secs)); err != nil {
		t.Fatal(err)
	}
	var victim *procAgent
	waitFor(t, 30*time.Second, "2 running", func() error {
		allocs, err := api.jobAllocs("back")
		if err != nil {
			return err
		}
		r := running(allocs)
		if len(r) != 2 {
			return fmt.Errorf("%s", allocSummary(allocs))
		}
		victim = c1
		if r[0].NodeName == "c2" {
			victim = c2
		}
		return nil
	}, nil)
	survivor := c2
	if victim == c2 {
		survivor = c1
	}

	victim.kill9()
	waitFor(t, 60*time.Second, "replacements on "+survivor.name, func() error {
		allocs, err := api.jobAllocs("back")
		if err != nil {
			return err
		}
		for _, a := range running(allocs) {
			if a.NodeName != survivor.name {
				return fmt.Errorf("%s", allocSummary(allocs))
			}
		}
		if len(running(allocs)) != 2 {
			return fmt.Errorf("%s", allocSummary(allocs))
		}
		return nil
	}, nil)
	if n := taskProcs(secs); n < 3 {
		t.Fatalf("%d task processes: the killed agent's tasks should still run until it returns", n)
	}

	victim.start()
	waitFor(t, 60*time.Second, "the returned node stops the replaced work", func() error {
		if n := taskProcs(secs); n != 2 {
			return fmt.Errorf("%d task processes, want 2", n)
		}
		return nil
	}, nil)
	allocs, err := api.jobAllocs("back")
	if err != nil {
		t.Fatal(err)
	}
	if r := running(allocs); len(r) != 2 {
		t.Fatalf("after the node returned: %s", allocSummary(allocs))
	}
}

func readyNodes(api *apiClient, want int) error {
	nodes, err := api.nodes()
	if err != nil {
		return err
	}
	ready := 0
	for _, n := range nodes {
		if n.Status == "ready" {
			ready++
		}
	}
	if ready != want {
		return fmt.Errorf("%d of %d nodes ready", ready, want)
	}
	return nil
}

// serverAndTwoClients starts one server and clients c1 and c2, waits until
// both nodes are ready, and returns a unique task sleep duration (from
// base) that cleanup tracks.
func serverAndTwoClients(t *testing.T, base int) (c *procCluster, servers []*procAgent, c1, c2 *procAgent, secs int) {
	return serversAndTwoClients(t, 1, base)
}

// serversAndTwoClients is serverAndTwoClients with n servers.
func serversAndTwoClients(t *testing.T, n, base int) (c *procCluster, servers []*procAgent, c1, c2 *procAgent, secs int) {
	t.Helper()
	c = newProcCluster(t)
	secs = base + int(time.Now().UnixNano()%600)
	c.track(secs)
	servers = c.startServers(n)
	c1 = c.newClient("c1", servers...)
	c2 = c.newClient("c2", servers...)
	c1.start()
	c2.start()
	waitFor(t, 30*time.Second, "two ready nodes", func() error { return readyNodes(servers[0].api, 2) }, nil)
	return c, servers, c1, c2, secs
}
