package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// meshHTTPJob is meshJob with protocol "http" on the service (and so on
// its upstream): the proxies run L7 and time each request by route.
func meshHTTPJob(id, service string, port, sleepSec, upstreamPort int) string {
	upstream := ""
	if upstreamPort > 0 {
		upstream = fmt.Sprintf(`
            upstreams {
              destination_name = "api"
              local_bind_port  = %d
            }`, upstreamPort)
	}
	return fmt.Sprintf(`job %q {
  datacenters = ["*"]
  group "g" {
    network {
      port "http" {
        static = %d
      }
    }
    service {
      name     = %q
      port     = "http"
      provider = "appmesh"
      connect {
        sidecar_service {
          proxy {
            config {
              protocol = "http"
            }%s
          }
        }
      }
    }
    task "app" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "exec sleep %d"]
      }
    }
  }
}
`, id, port, service, upstream, sleepSec)
}

// TestMeshProxyMetrics: host-mode sidecars serve their metrics on a 0600
// socket in their task directory (no port, refused to user nobody), and
// after calls from web to api through them, the client agent's own
// /v1/metrics holds both proxies' series, labelled by service and namespace (never an allocation),
// with non-zero connections, bytes, request latency by upstream and
// route, handshake failures and intention denials; and the output passes
// promlint (the checks of `promtool check metrics`).
func TestMeshProxyMetrics(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true})
	ports := freePorts(t, 3)
	startMeshBackend(t, "v1", ports[0])
	webPort, bind := ports[1], ports[2]
	run := func(id, service string, port, n, upstream int) {
		sec, marker := taskSleep(n)
		a.track(marker)
		file := writeFile(t, id+".hcl", meshHTTPJob(id, service, port, sec, upstream))
		if r := a.cli("job run", "-detach", file); r.code != 0 {
			a.fatalf("job run %s: %s", id, r)
		}
	}
	run("api", "api", ports[0], 17, 0)
	run("web", "web", webPort, 18, bind)

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	call := func() (int, error) {
		r, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/", bind))
		if err != nil {
			return 0, err
		}
		defer r.Body.Close()
		_, _ = io.Copy(io.Discard, r.Body)
		return r.StatusCode, nil
	}
	a.waitFor("web's upstream to reach api through the proxies", func() (bool, string) {
		code, err := call()
		return err == nil && code == http.StatusOK, fmt.Sprintf("%d %v", code, err)
	})
	for i := 0; i < 20; i++ {
		if code, err := call(); err != nil || code != http.StatusOK {
			t.Fatalf("call %d: %d %v", i, code, err)
		}
	}
	checkInboundRefusesOutsiders(t, meshProxyAddr(a, "api-sidecar-proxy"))
	// Host-mode proxies serve /metrics on their task directory's socket
	// only, out of other local users' reach.
	for _, job := range []string{"api", "web"} {
		al := a.waitAllocs(job, job+" running", func(al []alloc) (bool, string) {
			return len(al) == 1 && al[0].ClientStatus == "running", describeAllocs(al)
		})
		checkProxyMetricsSocket(t, a, al[0].ID, "connect-proxy-"+job)
	}
	if r := a.cli("intention create", "-deny", "web", "api"); r.code != 0 {
		a.fatalf("intention create: %s", r)
	}
	a.waitFor("the deny intention to answer 403", func() (bool, string) {
		code, err := call()
		return err == nil && code == http.StatusForbidden, fmt.Sprintf("%d %v", code, err)
	})

	want := []proxySeries{
		{"appmesh_mesh_proxy_connections_total", map[string]string{"service": "web", "namespace": "default", "direction": "outbound", "upstream": "api"}},
		{"appmesh_mesh_proxy_connections_total", map[string]string{"service": "api", "namespace": "default", "direction": "inbound"}},
		{"appmesh_mesh_proxy_received_bytes_total", map[string]string{"service": "web", "direction": "outbound", "upstream": "api"}},
		{"appmesh_mesh_proxy_sent_bytes_total", map[string]string{"service": "api", "direction": "inbound"}},
		{"appmesh_mesh_proxy_http_request_duration_seconds", map[string]string{"service": "web", "direction": "outbound", "upstream": "api", "route": "default", "code": "2xx"}},
		{"appmesh_mesh_proxy_http_request_duration_seconds", map[string]string{"service": "api", "direction": "inbound", "code": "2xx"}},
		{"appmesh_mesh_proxy_tls_handshake_failures_total", map[string]string{"service": "api", "direction": "inbound"}},
		{"appmesh_mesh_proxy_intention_denials_total", map[string]string{"service": "api", "protocol": "http"}},
		{"appmesh_mesh_proxy_config_updates_total", map[string]string{"service": "web"}},
	}
	fams, body := waitProxySeries(a, "the proxies' series in the agent's /v1/metrics", want)
	// Bounded labels: no series of a proxy names an allocation.
	for name, f := range fams {
		if !strings.HasPrefix(name, "appmesh_mesh_proxy_") {
			continue
		}
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if strings.Contains(l.GetName(), "alloc") || strings.Contains(l.GetName(), "addr") {
					t.Errorf("%s has a label %s=%q: labels must stay bounded", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
	// promtool check metrics is promlint: the proxies' families must be
	// clean; the agent's own are reported, not judged here.
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatalf("promlint: %v", err)
	}
	var others []string
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "appmesh_mesh_proxy_") {
			t.Errorf("promlint: %s: %s", p.Metric, p.Text)
		} else {
			others = append(others, p.Metric+": "+p.Text)
		}
	}
	sort.Strings(others)
	if len(others) > 0 {
		t.Logf("promlint on the agent's other families (not this test's subject): %v", others)
	}
}

// seriesValue is the value of the first series of f whose labels include
// want (a counter's or gauge's value, a histogram's count); -1 without one.
// proxySeries is one series a test expects in an agent's /v1/metrics.
type proxySeries struct {
	name   string
	labels map[string]string
}

// waitProxySeries waits until every wanted series is in the agent's
// /v1/metrics with a value above zero, logs their values and returns the
// parsed families and the raw text of the last answer.
func waitProxySeries(a *agent, what string, want []proxySeries) (map[string]*dto.MetricFamily, []byte) {
	a.t.Helper()
	var body []byte
	var fams map[string]*dto.MetricFamily
	a.waitFor(what, func() (bool, string) {
		r := a.request(http.MethodGet, "/v1/metrics", nil)
		if r.status != http.StatusOK {
			return false, fmt.Sprintf("status %d: %s", r.status, r.body)
		}
		body = r.body
		parser := expfmt.NewTextParser(model.UTF8Validation)
		var err error
		fams, err = parser.TextToMetricFamilies(bytes.NewReader(body))
		if err != nil {
			return false, "parse: " + err.Error()
		}
		for _, w := range want {
			if v := seriesValue(fams[w.name], w.labels); v <= 0 {
				return false, fmt.Sprintf("%s%v = %v", w.name, w.labels, v)
			}
		}
		return true, ""
	})
	for _, w := range want {
		a.t.Logf("%s%v = %v", w.name, w.labels, seriesValue(fams[w.name], w.labels))
	}
	return fams, body
}

func seriesValue(f *dto.MetricFamily, want map[string]string) float64 {
	if f == nil {
		return -1
	}
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			if have[k] != v {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}
