package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/consul/consultest"
	"github.com/hashicorp/consul/api"
)

// consulSetup starts a real Consul agent and an appmesh dev agent that uses
// it, with a short reconcile interval and tasks watched in KV.
func consulSetup(t *testing.T) (*agent, *api.Client, string) {
	ca := consultest.Start(t)
	prefix := fmt.Sprintf("appmesh-%d", runTag)
	cfg := writeFile(t, "consul.hcl", fmt.Sprintf(`consul {
  address            = %q
  kv_prefix          = %q
  watch_tasks        = true
  reconcile_interval = "1s"
  session_ttl        = "10s"
}
`, ca.HTTP, prefix))
	a := startAgent(t, agentOptions{dev: true, config: cfg})
	return a, ca.API(), prefix
}

// TestConsul drives the integration end to end against a real Consul.
func TestConsul(t *testing.T) {
	a, c, prefix := consulSetup(t)
	node := "e2e-" + sanitize(t.Name())

	// The agent registers itself with a passing check on its own API.
	for _, name := range []string{"appmesh-server", "appmesh-client"} {
		a.waitFor(name+" passing in consul", func() (bool, string) {
			entries, _, err := c.Health().Service(name, "", true, nil)
			if err != nil {
				return false, err.Error()
			}
			return len(entries) == 1, fmt.Sprintf("%d passing", len(entries))
		})
	}
	// The node's status is in KV under a session, leader flag set.
	a.waitFor("node key", func() (bool, string) {
		p, _, err := c.KV().Get(prefix+"/cluster/nodes/"+node, nil)
		if err != nil || p == nil {
			return false, fmt.Sprintf("%v", err)
		}
		var st struct {
			Leader bool `json:"leader"`
		}
		_ = json.Unmarshal(p.Value, &st)
		return p.Session != "" && st.Leader, string(p.Value)
	})
	// One agent for both parts (the harness fails through the parent t,
	// so these are steps rather than subtests).
	testConsulService(t, a, c, prefix, node)
	testConsulTasks(t, a, c, prefix)
	testConsulKeyGoesWithKilledAgent(t, a, c, prefix+"/cluster/nodes/"+node)
}

// testConsulKeyGoesWithKilledAgent kills the agent (no chance to clean
// up) and checks that its node key vanishes with its session: Consul
// invalidates a session whose TTL lapsed (it may take up to twice the TTL).
func testConsulKeyGoesWithKilledAgent(t *testing.T, a *agent, c *api.Client, key string) {
	a.mu.Lock()
	pid := a.cmd.Process.Pid
	a.mu.Unlock()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill the agent: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second) // session_ttl is 10s
	for {
		p, _, err := c.KV().Get(key, nil)
		if err == nil && p == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("node key %s still present 30s after the agent was killed (err %v)", key, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// testConsulService runs a job with a group service checked over HTTP.
// The "application" answering the check is this test's HTTP server on the
// job's static port; the task itself sleeps.
func testConsulService(t *testing.T, a *agent, c *api.Client, prefix, node string) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }))
	defer srv.Close()
	_, p, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ := strconv.Atoi(p)
	sec, marker := taskSleep(71)
	a.track(marker)
	job := fmt.Sprintf(`{"job": {"id": "consul-web", "type": "service", "groups": [{"name": "web", "count": 1,
  "network": {"ports": [{"label": "http", "static": %d}]},
  "services": [{"name": "consul-web", "port": "http", "tags": ["e2e"],
    "checks": [{"type": "http", "path": "/health", "interval": "1s", "timeout": "1s"}]}],
  "tasks": [{"name": "server", "driver": "exec", "shutdown_delay": "3s",
    "config": {"command": "/bin/sh", "args": ["-c", "exec sleep %d"]},
    "services": [{"name": "consul-web-task", "port": "http"}],
    "resources": {"cpu": 100, "memory": 32}}]}]}}`, port, sec)
	if r := a.request("PUT", "/v1/jobs", []byte(job)); r.status != 200 {
		a.fatalf("register job: %s", a.errorMessage("PUT /v1/jobs", r))
	}
	a.waitFor("consul-web passing in the catalog", func() (bool, string) {
		entries, _, err := c.Health().Service("consul-web", "e2e", true, nil)
		if err != nil {
			return false, err.Error()
		}
		return len(entries) == 1 && entries[0].Service.Port == port, fmt.Sprintf("%d passing", len(entries))
	})
	a.waitProcs(marker, 1)
	a.waitFor("topology key listing the job", func() (bool, string) {
		p, _, err := c.KV().Get(prefix+"/topology/"+node, nil)
		if err != nil || p == nil {
			return false, fmt.Sprintf("%v", err)
		}
		return strings.Contains(string(p.Value), `"job":"consul-web"`), string(p.Value)
	})
	upstream := startUpstreamJob(t, a, port)
	// Drift: the service removed by hand comes back.
	id := consulServiceID(t, c, "consul-web")
	if err := c.Agent().ServiceDeregister(id); err != nil {
		t.Fatal(err)
	}
	a.waitFor("consul-web re-registered", func() (bool, string) {
		return consulServiceID(t, c, "consul-web") != "", "missing"
	})
	// Stop: services leave Consul first; the task still runs through its
	// shutdown_delay, then dies.
	if r := a.request("DELETE", "/v1/job/consul-web", nil); r.status != 200 {
		a.fatalf("stop job: %s", a.errorMessage("DELETE", r))
	}
	a.waitFor("services gone", func() (bool, string) {
		return consulServiceID(t, c, "consul-web") == "" && consulServiceID(t, c, "consul-web-task") == "", "still registered"
	})
	if ps := findProcs(marker); len(ps) != 1 {
		t.Errorf("the task should still run during its shutdown_delay once its services are gone: %s", describeProcs(ps))
	}
	a.waitProcs(marker, 0)
	// The upstream job saw consul-web go: its file changed and the task
	// was restarted.
	a.waitAllocs("consul-client", "a restart after the upstream change", func(as []alloc) (bool, string) {
		for _, al := range as {
			if st := al.TaskStates["t"]; st != nil && st.Restarts >= 1 && al.ID == upstream {
				return true, ""
			}
		}
		return false, describeAllocs(as)
	})
	if r := a.request("DELETE", "/v1/job/consul-client", nil); r.status != 200 {
		a.fatalf("stop job: %s", a.errorMessage("DELETE", r))
	}
	a.waitFor("topology key gone", func() (bool, string) {
		p, _, err := c.KV().Get(prefix+"/topology/"+node, nil)
		return err == nil && p == nil, fmt.Sprintf("%v", err)
	})
}

// consulServiceID is the ID of the local agent's service named name, or "".
func consulServiceID(t *testing.T, c *api.Client, name string) string {
	svcs, err := c.Agent().Services()
	if err != nil {
		t.Fatalf("consul services: %v", err)
	}
	for id, s := range svcs {
		if s.Service == name {
			if !strings.HasPrefix(id, "_appmesh-") {
				t.Fatalf("service %s has ID %q without the _appmesh- prefix", name, id)
			}
			return id
		}
	}
	return ""
}

// testConsulTasks defines an application in KV, scales it, removes it.
func testConsulTasks(t *testing.T, a *agent, c *api.Client, prefix string) {
	sec, marker := taskSleep(72)
	a.track(marker)
	key := prefix + "/cluster/tasks/myapp"
	put := func(replication int) {
		// Consul KV jobs must name a user other than root.
		v := fmt.Sprintf(`{"replication": %d, "driver": "exec", "user": "nobody", "memory": 32, "command": "exec sleep %d"}`, replication, sec)
		if _, err := c.KV().Put(&api.KVPair{Key: key, Value: []byte(v)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	put(2)
	a.waitAllocs("myapp", "2 running allocations", func(as []alloc) (bool, string) {
		return countStatus(as, "run", "running") == 2, describeAllocs(as)
	})
	a.waitProcs(marker, 2)
	put(1)
	a.waitAllocs("myapp", "1 running allocation", func(as []alloc) (bool, string) {
		return countStatus(as, "run", "running") == 1, describeAllocs(as)
	})
	if _, err := c.KV().Delete(key, nil); err != nil {
		t.Fatal(err)
	}
	a.waitAllocs("myapp", "no running allocation", func(as []alloc) (bool, string) {
		return countStatus(as, "run", "running") == 0 && countStatus(as, "run", "pending") == 0, describeAllocs(as)
	})
	a.waitProcs(marker, 0)
}

// startUpstreamJob runs a job whose task finds consul-web through an
// upstream block (env and file) and prints both; it returns the alloc ID.
func startUpstreamJob(t *testing.T, a *agent, port int) string {
	sec, marker := taskSleep(73)
	a.track(marker)
	job := fmt.Sprintf(`{"job": {"id": "consul-client", "type": "service", "groups": [{"name": "g", "count": 1,
  "tasks": [{"name": "t", "driver": "exec",
    "upstreams": [{"service": "consul-web", "destination": "up.txt", "template": "{{range .}}file={{.Address}}:{{.Port}}{{end}}\n"}],
    "config": {"command": "/bin/sh", "args": ["-c", "cat up.txt; echo env=$APPMESH_UPSTREAM_CONSUL_WEB; exec sleep %d"]},
    "resources": {"cpu": 100, "memory": 32}}]}]}}`, sec)
	if r := a.request("PUT", "/v1/jobs", []byte(job)); r.status != 200 {
		a.fatalf("register job: %s", a.errorMessage("PUT /v1/jobs", r))
	}
	as := a.waitAllocs("consul-client", "a running allocation", func(as []alloc) (bool, string) {
		return countStatus(as, "run", "running") == 1, describeAllocs(as)
	})
	id := as[0].ID
	want := fmt.Sprintf("file=127.0.0.1:%d\nenv=127.0.0.1:%d", port, port)
	a.waitFor("the upstream's address in the task's output", func() (bool, string) {
		r := a.cli("alloc logs", id)
		return strings.Contains(r.stdout, want), r.String()
	})
	return id
}
