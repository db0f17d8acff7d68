package proxy

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

func TestGathererMergesProxies(t *testing.T) {
	var targets []Target
	for _, svc := range []string{"web", "api"} {
		reg := prometheus.NewRegistry()
		p := New(testLogger(t), reg)
		defer p.Close()
		p.m.connsTotal.WithLabelValues(dirInbound, "").Add(3)
		srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		defer srv.Close()
		targets = append(targets, Target{URL: srv.URL + "/metrics", Labels: map[string]string{"service": svc}})
	}
	// A proxy that is down is an error, not a lost scrape of the others.
	dead := httptest.NewServer(nil)
	dead.Close()
	targets = append(targets, Target{URL: dead.URL + "/metrics"})

	g := &Gatherer{Targets: func() []Target { return targets }}
	fams, err := g.Gather()
	if err == nil || !strings.Contains(err.Error(), dead.URL) {
		t.Errorf("error for the dead proxy = %v", err)
	}
	var series int
	for _, f := range fams {
		if f.GetName() == "appmesh_mesh_proxy_connections_total" {
			series = len(f.GetMetric())
		}
	}
	if series != 2 {
		t.Fatalf("connections_total has %d series, want one per proxy", series)
	}
	// The merged result is valid for a registry: no duplicate series.
	merged := prometheus.Gatherers{prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		f, _ := g.Gather()
		return f, nil
	})}
	const want = `
# HELP appmesh_mesh_proxy_connections_total Connections accepted, by direction and upstream (empty for inbound).
# TYPE appmesh_mesh_proxy_connections_total counter
appmesh_mesh_proxy_connections_total{direction="inbound",service="api",upstream=""} 3
appmesh_mesh_proxy_connections_total{direction="inbound",service="web",upstream=""} 3
`
	if err := testutil.GatherAndCompare(merged, strings.NewReader(want), "appmesh_mesh_proxy_connections_total"); err != nil {
		t.Fatal(err)
	}
}
