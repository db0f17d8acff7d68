package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// TestTemplateNomadService runs two job files in Nomad's syntax on a dev
// agent without Consul: a reader whose template lists the instances of
// "tplsvc-web" through nomadService (the built-in catalog), with
// change_mode = "restart" so each start prints the file; then the web job
// that registers that service (provider = "nomad", an http check). The
// reader first renders "none", is re-rendered and restarted with the
// instance's address once its check passes, and renders "none" again
// after the web job stops.
func TestTemplateNomadService(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }))
	defer srv.Close()
	_, p, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ := strconv.Atoi(p)

	a := startAgent(t, agentOptions{dev: true})
	webSec, webMarker := taskSleep(49)
	readSec, readMarker := taskSleep(50)
	a.track(webMarker)
	a.track(readMarker)

	reader := writeFile(t, "tplsvc-reader.hcl", fmt.Sprintf(`job "tplsvc-reader" {
  datacenters = ["*"]
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo \"[$(cat local/up.conf)]\"; exec sleep %d"]
      }
      template {
        data        = "{{ range nomadService \"tplsvc-web\" }}{{ .Address }}:{{ .Port }} {{ else }}none{{ end }}"
        destination = "local/up.conf"
        change_mode = "restart"
        splay       = "0s"
      }
    }
  }
}
`, readSec))
	web := writeFile(t, "tplsvc-web.hcl", fmt.Sprintf(`job "tplsvc-web" {
  datacenters = ["*"]
  group "web" {
    network {
      port "http" {
        static = %d
      }
    }
    service {
      name     = "tplsvc-web"
      provider = "nomad"
      port     = "http"
      check {
        type     = "http"
        path     = "/"
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
    }
  }
}
`, port, webSec))

	if v := a.cli("job validate", reader); v.code != 0 {
		t.Fatalf("job validate reader: %s", v)
	}
	if run := a.cli("job run", reader); run.code != 0 {
		a.fatalf("job run reader: %s", run)
	}
	allocs := a.waitAllocs("tplsvc-reader", "a running reader", func(al []alloc) (bool, string) {
		return len(al) == 1 && al[0].ClientStatus == "running", describeAllocs(al)
	})
	readerLogs := func() string { return a.taskLogs(allocs[0].ID, "t") }
	a.waitFor("the reader rendering no instance", func() (bool, string) {
		l := readerLogs()
		return strings.Contains(l, "[none]"), l
	})

	if run := a.cli("job run", web); run.code != 0 {
		a.fatalf("job run web: %s", run)
	}
	up := fmt.Sprintf(":%d ]", port)
	a.waitFor("the reader restarted with the web instance", func() (bool, string) {
		l := readerLogs()
		return strings.Contains(l, up), l
	})
	a.waitProcs(webMarker, 1)

	if stop := a.cli("job stop", "tplsvc-web"); stop.code != 0 {
		a.fatalf("job stop web: %s", stop)
	}
	a.waitFor("the reader back to no instance", func() (bool, string) {
		l := readerLogs()
		i := strings.LastIndex(l, up)
		return i >= 0 && strings.Contains(l[i:], "[none]"), l
	})
	a.waitProcs(webMarker, 0)
	if stop := a.cli("job stop", "tplsvc-reader"); stop.code != 0 {
		a.fatalf("job stop reader: %s", stop)
	}
	a.waitProcs(readMarker, 0)
}
