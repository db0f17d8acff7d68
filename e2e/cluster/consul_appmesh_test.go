package cluster

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/client/consul/consultest"
	"github.com/hashicorp/consul/api"
)

// TestClusterConsulAppMeshTask runs App Mesh's documented cluster task,
// written in App Mesh's own KV format, on a cluster of one server and
// three clients sharing a real Consul agent: two clients carry the labels
// its condition asks for, the third does not. The task starts one copy on
// each matching client, registers a Consul service whose check passes,
// shows in App Mesh's topology keys, and stops when its key is deleted.
//
// The application's port is answered by this test's HTTP server (all the
// nodes are 127.0.0.1): the check is Consul's, against the port the task
// was given; the task itself sleeps.
func TestClusterConsulAppMeshTask(t *testing.T) {
	ca := consultest.Start(t) // skips, saying how to build consul, without it
	capi := ca.API()
	c := newProcCluster(t)
	// The task runs as nobody, which must be able to reach the clients'
	// data dirs under the test's (0700) temporary directories.
	for _, d := range []string{filepath.Dir(c.dir), c.dir} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	prefix := fmt.Sprintf("appmesh-e2e-%d", runTag)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }))
	defer srv.Close()
	_, p, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ := strconv.Atoi(p)

	consulBlock := func(server bool) string {
		extra := ""
		if server {
			extra = "  watch_tasks = true\n  kv_format = \"appmesh\"\n"
		}
		return fmt.Sprintf("consul {\n  address = %q\n  kv_prefix = %q\n  auto_advertise = false\n  reconcile_interval = \"1s\"\n  session_ttl = \"10s\"\n%s}\n",
			ca.HTTP, prefix, extra)
	}
	writeHCL := func(name, body string) string {
		path := filepath.Join(c.dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	s := c.newServer("s1", 1)
	s.args = append(s.args, "-config", writeHCL("s1-consul.hcl", consulBlock(true)))
	s.start()
	c.waitLeader([]*procAgent{s}, "")
	clients := map[string]string{"c1": "centos7.6", "c2": "centos8", "c3": "ubuntu22.04"}
	names := make([]string, 0, len(clients))
	for name, osv := range clients {
		cl := c.newClient(name, s)
		hcl := consulBlock(false) + fmt.Sprintf("client {\n  enabled = true\n  meta = {\n    arch = \"x86_64\"\n    os_version = %q\n  }\n}\n", osv)
		cl.args = append(cl.args, "-config", writeHCL(name+".hcl", hcl))
		cl.start()
		names = append(names, name)
	}
	sort.Strings(names)
	waitNodesReady(t, s.api, names...)

	// App Mesh's sample task (its Consul page), with a wildcard in the
	// condition so that it matches c1 and c2 but not c3.
	secs := taskSleep(901)
	c.track(secs)
	key := prefix + "/cluster/tasks/myapp"
	value := fmt.Sprintf(`{
    "replication": 2,
    "priority": 0,
    "port": %d,
    "memoryMB": 32,
    "content": {
        "name": "myapp",
        "command": "sleep %d"
    },
    "condition": {
        "arch": "x86_64",
        "os_version": "centos*"
    }
}`, port, secs)
	if _, err := capi.KV().Put(&api.KVPair{Key: key, Value: []byte(value)}, nil); err != nil {
		t.Fatal(err)
	}
	run := waitRunning(t, s.api, "myapp", 2)
	on := map[string]bool{}
	for _, a := range run {
		on[a.NodeName] = true
	}
	if !on["c1"] || !on["c2"] {
		t.Fatalf("the copies run on %v, want c1 and c2 (the nodes whose labels match)", on)
	}
	waitFor(t, waitTimeout, "two task processes", func() error {
		if n := taskProcs(secs); n != 2 {
			return fmt.Errorf("%d processes", n)
		}
		return nil
	}, nil)
	waitFor(t, waitTimeout, "service myapp passing twice in consul", func() error {
		entries, _, err := capi.Health().Service("myapp", "", true, nil)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.Service.Port != port {
				return fmt.Errorf("service on port %d, want %d", e.Service.Port, port)
			}
		}
		if len(entries) != 2 {
			return fmt.Errorf("%d passing instances", len(entries))
		}
		return nil
	}, nil)
	for _, node := range []string{"c1", "c2"} {
		waitFor(t, waitTimeout, "App Mesh topology of "+node, func() error {
			return checkAppMeshTopology(capi, prefix+"/topology/"+node, "myapp")
		}, nil)
	}
	if p, _, err := capi.KV().Get(prefix+"/topology/c3", nil); err != nil || p != nil {
		t.Fatalf("c3 runs nothing, yet has a topology key (%v): %v", err, p)
	}

	// Deleting the key stops both copies and takes the service away.
	if _, err := capi.KV().Delete(key, nil); err != nil {
		t.Fatal(err)
	}
	waitRunning(t, s.api, "myapp", 0)
	waitFor(t, waitTimeout, "task processes gone", func() error {
		if n := taskProcs(secs); n != 0 {
			return fmt.Errorf("%d processes", n)
		}
		return nil
	}, nil)
	waitFor(t, waitTimeout, "service myapp gone from consul", func() error {
		entries, _, err := capi.Health().Service("myapp", "", false, nil)
		if err != nil {
			return err
		}
		if len(entries) != 0 {
			return fmt.Errorf("%d instances", len(entries))
		}
		return nil
	}, nil)
	waitFor(t, waitTimeout, "topology keys gone", func() error {
		keys, _, err := capi.KV().Keys(prefix+"/topology/", "", nil)
		if err != nil {
			return err
		}
		if len(keys) != 0 {
			return fmt.Errorf("keys %v", keys)
		}
		return nil
	}, nil)
}

// checkAppMeshTopology checks that key holds App Mesh's topology list with
// exactly the app, and a parseable schedule_time.
func checkAppMeshTopology(c *api.Client, key, app string) error {
	p, _, err := c.KV().Get(key, nil)
	if err != nil || p == nil {
		return fmt.Errorf("key %s: %v (present %t)", key, err, p != nil)
	}
	var list []map[string]any
	if err := json.Unmarshal(p.Value, &list); err != nil {
		return fmt.Errorf("key %s = %s: not App Mesh's list: %v", key, p.Value, err)
	}
	if len(list) != 1 || list[0]["app"] != app || len(list[0]) != 2 {
		return fmt.Errorf("key %s = %s, want [{\"app\": %q, \"schedule_time\": ...}]", key, p.Value, app)
	}
	if st, _ := list[0]["schedule_time"].(string); !strings.HasSuffix(st, "Z") || len(st) != len("2006-01-02T15:04:05Z") {
		return fmt.Errorf("key %s: schedule_time %q is not an ISO 8601 UTC time", key, st)
	}
	return nil
}
