package agent

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/appmesh/appmesh/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// metricsBackend is the part of the Backend that has a metrics registry
// (the Agent). A backend without one (a test's) serves the process-wide
// instruments only.
type metricsBackend interface {
	MetricsRegistry() *prometheus.Registry
}

var (
	fallbackRegistryOnce sync.Once
	fallbackRegistry     *prometheus.Registry
)

// metricsGathererBackend is a backend that serves more than its registry
// (the Agent: its client's proxies too).
type metricsGathererBackend interface {
	MetricsGatherer() prometheus.Gatherer
}

func (s *HTTPServer) metricsRegistry() prometheus.Gatherer {
	if gb, ok := s.backend.(metricsGathererBackend); ok {
		if g := gb.MetricsGatherer(); g != nil {
			return g
		}
	}
	if mb, ok := s.backend.(metricsBackend); ok {
		if reg := mb.MetricsRegistry(); reg != nil {
			return reg
		}
	}
	fallbackRegistryOnce.Do(func() {
		reg, err := metrics.NewRegistry()
		if err != nil {
			panic(fmt.Sprintf("build the metrics registry: %v", err)) // a duplicate metric name: a bug
		}
		fallbackRegistry = reg
	})
	return fallbackRegistry
}

// registerMetricsRoute serves GET /v1/metrics. It needs agent read (with
// ACLs on, Prometheus sends a token with that right as its bearer token):
// metrics name jobs, groups and tasks, which an anonymous caller must not
// learn.
func (s *HTTPServer) registerMetricsRoute() {
	s.route("/v1/metrics", map[string]door{http.MethodGet: agentAccess(read, s.metrics)})
}

// metrics answers in Prometheus's text format, or with ?format=json as a
// list of metric families for people and scripts.
func (s *HTTPServer) metrics(w http.ResponseWriter, r *http.Request) (any, error) {
	reg := s.metricsRegistry()
	switch f := r.URL.Query().Get("format"); f {
	case "", "prometheus":
		promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}).ServeHTTP(w, r)
		return nil, nil
	case "json":
		families, err := reg.Gather()
		if err != nil && len(families) == 0 {
			return nil, fmt.Errorf("gather metrics: %w", err)
		}
		return jsonFamilies(families), nil
	default:
		return nil, &httpError{code: http.StatusBadRequest, msg: fmt.Sprintf("unknown metrics format %q: use format=prometheus (the default) or format=json", f)}
	}
}

// metricFamilyJSON is one metric family of ?format=json.
type metricFamilyJSON struct {
	Name    string       `json:"name"`
	Help    string       `json:"help"`
	Type    string       `json:"type"`
	Metrics []metricJSON `json:"metrics"`
}

type metricJSON struct {
	Labels map[string]string `json:"labels,omitempty"`
	// Value is a counter's or gauge's value.
	Value *float64 `json:"value,omitempty"`
	// Count, Sum and Buckets (upper bound → cumulative count) describe a
	// histogram.
	Count   *uint64            `json:"count,omitempty"`
	Sum     *float64           `json:"sum,omitempty"`
	Buckets map[string]float64 `json:"buckets,omitempty"`
}

func jsonFamilies(families []*dto.MetricFamily) []metricFamilyJSON {
	out := make([]metricFamilyJSON, 0, len(families))
	for _, mf := range families {
		fj := metricFamilyJSON{Name: mf.GetName(), Help: mf.GetHelp(), Type: strings.ToLower(mf.GetType().String())}
		for _, m := range mf.GetMetric() {
			mj := metricJSON{}
			if len(m.GetLabel()) > 0 {
				mj.Labels = make(map[string]string, len(m.GetLabel()))
				for _, l := range m.GetLabel() {
					mj.Labels[l.GetName()] = l.GetValue()
				}
			}
			switch {
			case m.Counter != nil:
				mj.Value = ptr(m.Counter.GetValue())
			case m.Gauge != nil:
				mj.Value = ptr(m.Gauge.GetValue())
			case m.Untyped != nil:
				mj.Value = ptr(m.Untyped.GetValue())
			case m.Histogram != nil:
				h := m.Histogram
				mj.Count, mj.Sum = ptr(h.GetSampleCount()), ptr(h.GetSampleSum())
				mj.Buckets = make(map[string]float64, len(h.GetBucket()))
				for _, b := range h.GetBucket() {
					mj.Buckets[fmt.Sprint(b.GetUpperBound())] = float64(b.GetCumulativeCount())
				}
			case m.Summary != nil:
				mj.Count, mj.Sum = ptr(m.Summary.GetSampleCount()), ptr(m.Summary.GetSampleSum())
			}
			fj.Metrics = append(fj.Metrics, mj)
		}
		out = append(out, fj)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// knownMethods bounds the method label: anything else counts as "other".
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodDelete: true, http.MethodPatch: true, http.MethodOptions: true,
}

// observeRequest counts a finished request by method, route template (the
// pattern the router matched, never the raw path, which holds IDs) and
// status code.
func observeRequest(r *http.Request, status int, start time.Time) {
	method := r.Method
	if !knownMethods[method] {
		method = "other"
	}
	route := routeTemplate(r) // "GET /v1/jobs" → "/v1/jobs"
	metrics.HTTPRequests.WithLabelValues(method, route, fmt.Sprint(status)).Inc()
	if status >= 500 {
		metrics.HTTPErrors.WithLabelValues(method, route).Inc()
	}
	metrics.HTTPDuration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
}
