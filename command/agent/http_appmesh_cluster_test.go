package agent

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// amWaitFor polls cond until it holds or the deadline passes; what
// describes the last state for the failure message.
func amWaitFor(t *testing.T, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, what := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition never held: %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// amRunningNodes is the sorted node names of a job's running allocations.
func amRunningNodes(c amClient, jobID string) []string {
	var allocs []struct {
		JobID        string `json:"job_id"`
		NodeName     string `json:"node_name"`
		ClientStatus string `json:"client_status"`
	}
	_ = json.Unmarshal([]byte(c.do("GET", "/v1/allocations", "").body), &allocs)
	nodes := []string{}
	for _, a := range allocs {
		if a.JobID == jobID && a.ClientStatus == "running" {
			nodes = append(nodes, a.NodeName)
		}
	}
	sort.Strings(nodes)
	return nodes
}

// TestAppMeshClusterApps registers cluster applications through the REST
// API of one agent of a two-node cluster whose nodes carry different
// labels: a condition places copies on matching nodes only (not on the
// receiving agent's; of two replicas, the one with no second matching
// node stays unplaced), replication 2 puts one copy on each node, GET
// lists the nodes, output reads the remote copy, and delete stops every
// copy.
func TestAppMeshClusterApps(t *testing.T) {
	a1, _ := startTestAgentWith(t, "clu-a", func(c *Config) { c.Client.Meta = map[string]string{"zone": "near"} })
	rpcAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(a1.config.Ports.RPC))
	startTestAgentWith(t, "clu-b", func(c *Config) { c.Client.Meta = map[string]string{"zone": "far-1"} }, rpcAddr)
	c := amClient{t: t, base: "http://" + a1.HTTPAddr()}
	amWaitFor(t, 60*time.Second, func() (bool, string) {
		r := c.do("GET", "/v1/nodes", "")
		return strings.Count(r.body, `"status":"ready"`) == 2, r.body
	})

	c.want(http.StatusOK, "PUT", "/appmesh/app/far",
		`{"name":"far","command":"echo cluster-out; exec sleep 127.32","shell":true,"condition":{"zone":"far-*"},"replication":2,"pid":null}`)
	amWaitFor(t, 60*time.Second, func() (bool, string) {
		r := c.do("GET", "/appmesh/app/far", "")
		var v struct {
			Nodes       []string          `json:"nodes"`
			Replication int               `json:"replication"`
			Condition   map[string]string `json:"condition"`
		}
		_ = json.Unmarshal([]byte(r.body), &v)
		return len(v.Nodes) == 1 && v.Nodes[0] == "clu-b" && v.Replication == 2 && v.Condition["zone"] == "far-*", r.body
	})
	// The output of the copy on the other node, read through this agent.
	amWaitFor(t, 30*time.Second, func() (bool, string) {
		r := c.do("GET", "/appmesh/app/far/output", "")
		return r.code == http.StatusOK && r.body == "cluster-out\n", strconv.Itoa(r.code) + " " + r.body
	})
	c.want(http.StatusNotFound, "GET", "/appmesh/app/far/output?alloc_id=ffffffff-no-such", "")

	c.want(http.StatusOK, "PUT", "/appmesh/app/both", `{"command":"sleep 127.31","replication":2}`)
	amWaitFor(t, 60*time.Second, func() (bool, string) {
		n := amRunningNodes(c, "both")
		return strings.Join(n, ",") == "clu-a,clu-b", strings.Join(n, ",")
	})
	if r := c.want(http.StatusOK, "GET", "/appmesh/applications", ""); !strings.Contains(r.body, `"nodes":["clu-a","clu-b"]`) {
		t.Errorf("list lacks both nodes of \"both\": %s", r.body)
	}

	// An interval application's copies run as launches (child jobs): its
	// output is read from the newest launch's copies.
	c.want(http.StatusOK, "PUT", "/appmesh/app/tick", `{"command":"echo tick","start_interval_seconds":1,"replication":2}`)
	amWaitFor(t, 60*time.Second, func() (bool, string) {
		r := c.do("GET", "/appmesh/app/tick/output", "")
		return r.code == http.StatusOK && r.body == "tick\n", strconv.Itoa(r.code) + " " + r.body
	})
	c.want(http.StatusOK, "DELETE", "/appmesh/app/tick", "")

	// The processes themselves (both nodes are this host): one copy of
	// far, two of both, none once deleted.
	for app, want := range map[string]int{"far": 1, "both": 2} {
		marker := map[string]string{"far": "127.32", "both": "127.31"}[app]
		if n := amCountProcs(t, "sleep", marker); n != want {
			t.Errorf("%s: %d processes of sleep %s, want %d", app, n, marker, want)
		}
		c.want(http.StatusOK, "DELETE", "/appmesh/app/"+app, "")
		amWaitFor(t, 60*time.Second, func() (bool, string) {
			n := amCountProcs(t, "sleep", marker)
			return n == 0 && len(amRunningNodes(c, app)) == 0, app + ": " + strconv.Itoa(n) + " processes left"
		})
	}
}

// amCountProcs counts this host's processes whose argv is exactly
// name and arg.
func amCountProcs(t *testing.T, name, arg string) int {
	t.Helper()
	return len(amProcs(t, name, arg))
}

// amFindProc is the PID of one such process, "" if none.
func amFindProc(t *testing.T, name, arg string) string {
	t.Helper()
	if p := amProcs(t, name, arg); len(p) > 0 {
		return p[0]
	}
	return ""
}

// amProcs lists the PIDs of this host's processes whose argv is exactly
// name and arg.
func amProcs(t *testing.T, name, arg string) []string {
	t.Helper()
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("list processes: %v", err)
	}
	var pids []string
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if err != nil {
			continue // not a process, or gone
		}
		argv := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(argv) == 2 && filepath.Base(argv[0]) == name && argv[1] == arg {
			pids = append(pids, d.Name())
		}
	}
	return pids
}
