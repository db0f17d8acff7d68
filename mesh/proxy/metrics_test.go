package proxy

import (
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestMetricsAppearInRegistry(t *testing.T) {
	ca := newTestCA(t, "root")
	reg := prometheus.NewRegistry()
	api := httpService(t, ca, says("api"))
	web := startProxy(t, clientCfg(t, ca, httpUpstream(instance(t, api, nil, 0))), reg)
	if code, _ := get(t, &http.Client{Timeout: 10 * time.Second}, "http://"+web.UpstreamAddr("api")+"/", nil); code != 200 {
		t.Fatalf("GET: %d", code)
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range fams {
		got[f.GetName()] = true
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "upstream" && l.GetValue() != "" && l.GetValue() != "api" {
					t.Errorf("%s has upstream label %q: labels must come from config names", f.GetName(), l.GetValue())
				}
			}
		}
	}
	for _, name := range []string{
		"appmesh_mesh_proxy_connections_total",
		"appmesh_mesh_proxy_connections_active",
		"appmesh_mesh_proxy_received_bytes_total",
		"appmesh_mesh_proxy_sent_bytes_total",
		"appmesh_mesh_proxy_http_request_duration_seconds",
		"appmesh_mesh_proxy_config_updates_total",
	} {
		if !got[name] {
			t.Errorf("metric %s missing; have %v", name, got)
		}
	}
	// A second proxy on the same registry is a duplicate: logged, and the
	// proxy still works without metrics.
	p := New(testLogger(t), reg)
	defer p.Close()
	if err := p.Update(serverCfg(t, ca, "x", "127.0.0.1:1")); err != nil {
		t.Fatal(err)
	}
}
