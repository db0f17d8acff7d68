package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestNativeServices runs a job file in Nomad's syntax whose group and
// task services use the built-in catalog (provider = "nomad" and
// "appmesh") on a dev agent without Consul. The group service's http
// check answers 503 first: the instance is listed as critical and lookups
// leave it out; once the check passes, `appmesh service list|info` show it
// passing on the job's port, a second job's upstream finds it, and a
// blocking read on /v1/service/<name> wakes when the job is stopped,
// which removes both services.
func TestNativeServices(t *testing.T) {
	var healthy atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" || !healthy.Load() {
			http.Error(w, "not yet", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	defer srv.Close()
	_, p, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ := strconv.Atoi(p)

	a := startAgent(t, agentOptions{dev: true})
	sec, marker := taskSleep(95)
	a.track(marker)
	// The "application" answering the check is this test's HTTP server on
	// the job's static port; the task itself sleeps.
	src := fmt.Sprintf(`job "native-web" {
  datacenters = ["*"]
  type        = "service"

  group "web" {
    count = 1

    network {
      port "http" {
        static = %d
      }
    }

    service {
      name     = "native-web"
      provider = "nomad"
      port     = "http"
      tags     = ["e2e", "v1"]

      check {
        type     = "http"
        path     = "/health"
        interval = "1s"
        timeout  = "1s"
      }
    }

    task "server" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "exec sleep %d"]
      }

      service {
        name     = "native-web-task"
        provider = "appmesh"
        port     = "http"

        check {
          type     = "tcp"
          interval = "1s"
          timeout  = "1s"
        }
      }

      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
`, port, sec)
	file := filepath.Join(t.TempDir(), "native-web.hcl")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if run := a.cli("job run", file); run.code != 0 {
		a.fatalf("job run: %s", run)
	}

	type instance struct {
		ID, Address, Status string
		Port                int
		AllocID             string   `json:"alloc_id"`
		Tags                []string `json:"tags"`
	}
	infoAll := func(name string) []instance {
		r := a.cli("service info", "-all", "-json", name)
		if r.code != 0 {
			a.fatalf("service info: %s", r)
		}
		var out []instance
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			a.fatalf("service info -json: %v\n%s", err, r)
		}
		return out
	}
	// Critical while the check fails: listed with -all, left out otherwise.
	a.waitFor("native-web registered as critical", func() (bool, string) {
		in := infoAll("native-web")
		return len(in) == 1 && in[0].Status == "critical" && in[0].Port == port, fmt.Sprintf("%+v", in)
	})
	if r := a.cli("service info", "native-web"); r.code != 0 || !strings.Contains(r.stdout, "No passing instances") {
		a.fatalf("service info while the check fails: %s", r)
	}
	healthy.Store(true)
	a.waitFor("native-web passing in service list", func() (bool, string) {
		r := a.cli("service list")
		return r.code == 0 && serviceRow(r.stdout, "native-web", "default", "1/1", "e2e,v1") &&
			serviceRow(r.stdout, "native-web-task", "default", "1/1"), r.String()
	})
	info := a.cli("service info", "native-web")
	want := fmt.Sprintf("127.0.0.1:%d", port)
	if info.code != 0 || !strings.Contains(info.stdout, want) || !strings.Contains(info.stdout, "passing") ||
		!strings.Contains(info.stdout, "native-web") {
		a.fatalf("service info native-web: want an instance at %s passing: %s", want, info)
	}
	a.waitProcs(marker, 1)

	// A second job finds it through an upstream, without Consul.
	upstreamOfNative(t, a, port)

	// A blocking read wakes when the job stops and the instances leave.
	var cur []instance
	r := a.getJSON("/v1/service/native-web", &cur)
	if len(cur) != 1 || r.index() == 0 {
		a.fatalf("GET /v1/service/native-web: %d instances, index %d", len(cur), r.index())
	}
	woke := make(chan []instance, 1)
	go func() {
		// Each read blocks until the catalog changes (or 20 s, below the
		// harness's 30 s HTTP timeout); the next one waits on its index.
		index := r.index()
		for deadline := time.Now().Add(80 * time.Second); time.Now().Before(deadline); {
			var after []instance
			br, err := a.do("GET", fmt.Sprintf("/v1/service/native-web?index=%d&wait=20s", index), nil)
			if err != nil || br.status != 200 || json.Unmarshal(br.body, &after) != nil {
				break
			}
			if len(after) == 0 && br.index() > index {
				woke <- after
				return
			}
			index = br.index()
		}
		woke <- nil
	}()
	if stop := a.cli("job stop", "native-web"); stop.code != 0 {
		a.fatalf("job stop: %s", stop)
	}
	select {
	case after := <-woke:
		if after == nil {
			t.Errorf("blocking reads of /v1/service/native-web never answered an empty list after the stop")
		}
	case <-time.After(90 * time.Second):
		t.Fatal("the blocking read on /v1/service/native-web did not return after the job stopped")
	}
	a.waitFor("both services gone from service list", func() (bool, string) {
		r := a.cli("service list")
		return r.code == 0 && strings.Contains(r.stdout, "No services"), r.String()
	})
	a.waitProcs(marker, 0)
}

// upstreamOfNative runs a job whose task's upstream names native-web and
// checks that the task got its address (file and environment).
func upstreamOfNative(t *testing.T, a *agent, port int) {
	sec, marker := taskSleep(96)
	a.track(marker)
	job := fmt.Sprintf(`{"job": {"id": "native-client", "type": "service", "groups": [{"name": "g", "count": 1,
  "tasks": [{"name": "t", "driver": "raw_exec",
    "upstreams": [{"service": "native-web", "destination": "up.txt", "template": "{{range .}}file={{.Address}}:{{.Port}}{{end}}\n"}],
    "config": {"command": "/bin/sh", "args": ["-c", "cat up.txt; echo env=$APPMESH_UPSTREAM_NATIVE_WEB; exec sleep %d"]},
    "resources": {"cpu": 100, "memory": 32}}]}]}}`, sec)
	if r := a.request("PUT", "/v1/jobs", []byte(job)); r.status != 200 {
		a.fatalf("register job: %s", a.errorMessage("PUT /v1/jobs", r))
	}
	as := a.waitAllocs("native-client", "a running allocation", func(as []alloc) (bool, string) {
		return countStatus(as, "run", "running") == 1, describeAllocs(as)
	})
	want := fmt.Sprintf("file=127.0.0.1:%d\nenv=127.0.0.1:%d", port, port)
	a.waitFor("the upstream's address in the task's output", func() (bool, string) {
		r := a.cli("alloc logs", as[0].ID)
		return strings.Contains(r.stdout, want), r.String()
	})
	if r := a.cli("job stop", "native-client"); r.code != 0 {
		a.fatalf("job stop: %s", r)
	}
	a.waitProcs(marker, 0)
}

// serviceRow tells whether a line of a CLI table holds all the fields, in
// order, as whole words.
func serviceRow(out string, fields ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		got := strings.Fields(line)
		if len(got) < len(fields) {
			continue
		}
		ok := true
		for i, f := range fields {
			if got[i] != f {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// TestNativeServicesACL: with ACLs on, the client registers through its
// node secret, and reading the catalog needs read-job in the namespace:
// no token and another namespace's token are refused by the CLI's calls.
func TestNativeServicesACL(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true, acl: true})
	sec, marker := taskSleep(97)
	a.track(marker)
	job := fmt.Sprintf(`{"job": {"id": "acl-web", "type": "service", "groups": [{"name": "web", "count": 1,
  "network": {"ports": [{"label": "http"}]},
  "services": [{"name": "acl-web", "provider": "appmesh", "port": "http", "tags": ["secured"]}],
  "tasks": [{"name": "server", "driver": "raw_exec",
    "config": {"command": "/bin/sh", "args": ["-c", "exec sleep %d"]},
    "resources": {"cpu": 100, "memory": 32}}]}]}}`, sec)
	if r := a.request("PUT", "/v1/jobs", []byte(job)); r.status != 200 {
		a.fatalf("register job: %s", a.errorMessage("PUT /v1/jobs", r))
	}
	a.waitFor("acl-web in the catalog", func() (bool, string) {
		var list []struct {
			ServiceName string `json:"service_name"`
			Passing     int    `json:"passing"`
		}
		r := a.getJSON("/v1/services", &list)
		return len(list) == 1 && list[0].ServiceName == "acl-web" && list[0].Passing == 1, string(r.body)
	})
	a.mu.Lock()
	mgmt := a.token
	a.mu.Unlock()
	if r := a.cli("service info", "-token", mgmt, "acl-web"); r.code != 0 || !strings.Contains(r.stdout, "secured") {
		a.fatalf("service info with the management token: %s", r)
	}
	if r := a.cli("service list"); r.code != 1 || !strings.Contains(r.stderr, "Permission denied") {
		a.fatalf("service list without a token: want exit 1 and Permission denied: %s", r)
	}
	policy := map[string]string{"rules": `namespace "other" { policy = "write" }`}
	if r := a.putJSON("/v1/acl/policy/other-write", policy); r.status != http.StatusOK {
		a.fatalf("create policy: %d %s", r.status, r.body)
	}
	var other struct {
		SecretID string `json:"secret_id"`
	}
	if r := a.putJSON("/v1/acl/token", map[string]any{"name": "other", "policies": []string{"other-write"}}); r.status != http.StatusOK ||
		json.Unmarshal(r.body, &other) != nil {
		a.fatalf("create token: %d %s", r.status, r.body)
	}
	if r := a.cli("service info", "-token", other.SecretID, "acl-web"); r.code != 1 || !strings.Contains(r.stderr, "Permission denied") {
		a.fatalf("service info with another namespace's token: want exit 1 and Permission denied: %s", r)
	}
	if r := a.cli("service delete", "-token", other.SecretID, "acl-web", "x"); r.code != 1 || !strings.Contains(r.stderr, "Permission denied") {
		a.fatalf("service delete with another namespace's token: %s", r)
	}
}
