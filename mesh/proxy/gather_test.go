package proxy

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// serveMetricsSocket serves reg's /metrics on a Unix socket, as an
// injected proxy does, until the test ends.
func serveMetricsSocket(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "metrics.sock")
	ln, err := ListenUnix(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return path
}

func TestGathererMergesProxies(t *testing.T) {
	var targets []Target
	for _, svc := range []string{"web", "api"} {
		reg := prometheus.NewRegistry()
		p := New(testLogger(t), reg)
		defer p.Close()
		p.m.connsTotal.WithLabelValues(dirInbound, "").Add(3)
		targets = append(targets, Target{Socket: serveMetricsSocket(t, reg), Labels: map[string]string{"service": svc}})
	}
	// A proxy that is down is an error, not a lost scrape of the others.
	dead := filepath.Join(t.TempDir(), "gone.sock")
	targets = append(targets, Target{Socket: dead})

	g := &Gatherer{Targets: func() []Target { return targets }}
	fams, err := g.Gather()
	if err == nil || !strings.Contains(err.Error(), "unix:"+dead) {
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

// Two proxies of one service on a node carry the same labels: their
// series are summed, histograms bucket by bucket, never duplicated.
func TestGathererSumsProxiesOfOneService(t *testing.T) {
	var targets []Target
	for i, n := range []float64{3, 4} {
		reg := prometheus.NewRegistry()
		p := New(testLogger(t), reg)
		defer p.Close()
		p.m.connsTotal.WithLabelValues(dirOutbound, "api").Add(n)
		p.m.requestDuration.WithLabelValues(dirOutbound, "api", "default", "2xx").Observe(0.002 * float64(i+1))
		targets = append(targets, Target{Socket: serveMetricsSocket(t, reg), Labels: map[string]string{"service": "web", "namespace": "default"}})
	}
	g := &Gatherer{Targets: func() []Target { return targets }}
	const want = `
# HELP appmesh_mesh_proxy_connections_total Connections accepted, by direction and upstream (empty for inbound).
# TYPE appmesh_mesh_proxy_connections_total counter
appmesh_mesh_proxy_connections_total{direction="outbound",namespace="default",service="web",upstream="api"} 7
`
	if err := testutil.GatherAndCompare(prometheus.Gatherers{g}, strings.NewReader(want), "appmesh_mesh_proxy_connections_total"); err != nil {
		t.Fatal(err)
	}
	fams, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "appmesh_mesh_proxy_http_request_duration_seconds" {
			continue
		}
		if len(f.Metric) != 1 {
			t.Fatalf("duration has %d series, want 1", len(f.Metric))
		}
		h := f.Metric[0].GetHistogram()
		var le0025 uint64
		for _, b := range h.GetBucket() {
			if b.GetUpperBound() == 0.0025 {
				le0025 = b.GetCumulativeCount()
			}
		}
		if h.GetSampleCount() != 2 || le0025 != 1 {
			t.Fatalf("summed histogram: count %d, le=0.0025 %d; want 2 and 1", h.GetSampleCount(), le0025)
		}
		return
	}
	t.Fatal("no request duration family")
}
