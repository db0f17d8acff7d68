package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/consul/api"
)

// taskLogs reads a task's stdout through the HTTP API.
func (a *agent) taskLogs(allocID, task string) string {
	a.t.Helper()
	r := a.request(http.MethodGet, "/v1/client/fs/logs/"+allocID+"?task="+url.QueryEscape(task)+"&type=stdout", nil)
	if r.status != http.StatusOK {
		a.fatalf("logs of %s/%s: status %d: %s", allocID, task, r.status, r.body)
	}
	return string(r.body)
}

// TestTemplate runs a job file in Nomad's syntax with template blocks on a
// real agent: a data template reading the task's env and the node's name,
// attributes and meta, and an env = true template whose variables reach
// the task; the task cats the file and prints the variables, and the test
// reads its log through the API. A template that cannot render fails the
// task with a Template Failure event giving the reason.
func TestTemplate(t *testing.T) {
	// The client block adds meta to -dev's client, which stays enabled
	// with raw_exec (the config file overlays it setting by setting).
	cfg := writeFile(t, "meta.hcl", "client {\n  meta = { rack = \"r7\" }\n}\n")
	a := startAgent(t, agentOptions{dev: true, config: cfg})
	job := writeFile(t, "tpl.hcl", `job "tpl" {
  datacenters = ["*"]
  type        = "batch"
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "cat local/app.conf; echo \"env: $DB_USER@$DB_HOST\""]
      }
      env {
        APP_MODE = "e2e"
      }
      template {
        data = <<EOH
mode={{ env "APP_MODE" }}
node={{ env "node.unique.name" }} dc={{ env "node.datacenter" }}
kernel={{ env "attr.kernel.name" }} rack={{ env "meta.rack" }}
EOH
        destination = "local/app.conf"
        perms       = "0640"
      }
      template {
        data        = "DB_HOST=db.{{ env \"node.datacenter\" }}\nDB_USER={{ env \"APP_MODE\" | toUpper }}\n"
        destination = "secrets/db.env"
        env         = true
      }
    }
  }
}
`)
	if v := a.cli("job validate", job); v.code != 0 {
		t.Fatalf("job validate: %s", v)
	}
	if run := a.cli("job run", job); run.code != 0 {
		a.fatalf("job run tpl: %s", run)
	}
	allocs := a.waitAllocs("tpl", "a complete allocation", func(al []alloc) (bool, string) {
		return len(al) == 1 && al[0].ClientStatus == "complete", describeAllocs(al)
	})
	want := fmt.Sprintf("mode=e2e\nnode=%s dc=dc1\nkernel=linux rack=r7\nenv: E2E@db.dc1\n", a.nodeName())
	if got := a.taskLogs(allocs[0].ID, "t"); got != want {
		t.Fatalf("task output: got %q, want %q", got, want)
	}

	bad := writeFile(t, "tplbad.hcl", `job "tplbad" {
  datacenters = ["*"]
  type        = "batch"
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
      template {
        data        = "{{ env \"PORT\" | parseInt }}"
        destination = "local/port"
      }
    }
  }
}
`)
	// The reason names the template and the function that failed.
	reason := `template local/port: render: template: local/port:1:`
	detail := `error calling parseInt: strconv.ParseInt: parsing "": invalid syntax`
	if run := a.cli("job run", bad); run.code != 1 || !strings.Contains(run.stderr, reason) || !strings.Contains(run.stderr, detail) {
		a.fatalf("job run tplbad: want exit 1 naming the render error, got %s", run)
	}
	allocs = a.waitAllocs("tplbad", "a failed allocation", func(al []alloc) (bool, string) {
		return len(al) >= 1 && al[0].ClientStatus == "failed", describeAllocs(al)
	})
	found := false
	for _, ts := range allocs[0].TaskStates {
		for _, e := range ts.Events {
			found = found || (e.Type == "Template Failure" && strings.Contains(e.Message, reason) && strings.Contains(e.Message, detail))
		}
	}
	if !found {
		t.Fatalf("want a Template Failure event %q, got %s", reason, describeAllocs(allocs))
	}

	escape := writeFile(t, "tplesc.hcl", strings.Replace(string(mustRead(t, bad)), `"local/port"`, `"../../etc/x"`, 1))
	if v := a.cli("job validate", escape); v.code == 0 || !strings.Contains(v.stderr+v.stdout, `destination "../../etc/x" leaves the task's directory`) {
		t.Fatalf("job validate with an escaping destination: %s", v)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTemplateConsul runs a service job whose template reads a key of a
// real Consul agent with change_mode = "restart": the task prints the
// rendered value at each start; after the key changes the task is
// restarted and prints the new value.
func TestTemplateConsul(t *testing.T) {
	a, c, _ := consulSetup(t)
	key := fmt.Sprintf("e2e-%d/greeting", runTag)
	if _, err := c.KV().Put(&api.KVPair{Key: key, Value: []byte("hello-1")}, nil); err != nil {
		t.Fatal(err)
	}
	job := writeFile(t, "tplc.hcl", fmt.Sprintf(`job "tplc" {
  datacenters = ["*"]
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo \"greeting=$(cat local/greeting.txt) mode=$MODE\"; exec sleep 600"]
      }
      template {
        data        = "{{ key \"%s\" }}"
        destination = "local/greeting.txt"
        change_mode = "restart"
        splay       = "0s"
      }
      template {
        data        = "MODE={{ keyOrDefault \"e2e/absent\" \"fallback\" }}\n"
        destination = "local/mode.env"
        env         = true
      }
    }
  }
}
`, key))
	if run := a.cli("job run", job); run.code != 0 {
		a.fatalf("job run tplc: %s", run)
	}
	allocs := a.waitAllocs("tplc", "a running allocation", func(al []alloc) (bool, string) {
		return len(al) == 1 && al[0].ClientStatus == "running", describeAllocs(al)
	})
	allocID := allocs[0].ID
	a.waitFor("the first render in the task's log", func() (bool, string) {
		out := a.taskLogs(allocID, "t")
		return out == "greeting=hello-1 mode=fallback\n", out
	})
	if _, err := c.KV().Put(&api.KVPair{Key: key, Value: []byte("hello-2")}, nil); err != nil {
		t.Fatal(err)
	}
	a.waitFor("a restart with the new value", func() (bool, string) {
		out := a.taskLogs(allocID, "t")
		return out == "greeting=hello-1 mode=fallback\ngreeting=hello-2 mode=fallback\n", out
	})
	// The client reports the restart to the servers after the task wrote
	// its line: wait for the report.
	a.waitFor("the servers to see the task running again after a Restarting event naming the template", func() (bool, string) {
		var al alloc
		a.getJSON("/v1/allocation/"+allocID, &al)
		ts := al.TaskStates["t"]
		if ts == nil || ts.State != "running" {
			return false, describeAllocs([]alloc{al})
		}
		for _, e := range ts.Events {
			if e.Type == "Restarting" && strings.Contains(e.Message, "template local/greeting.txt re-rendered") {
				return true, ""
			}
		}
		return false, describeAllocs([]alloc{al})
	})
}
