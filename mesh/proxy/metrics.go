package proxy

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Directions of a connection or request through the proxy.
const (
	dirInbound  = "inbound"
	dirOutbound = "outbound"
)

// metrics are the proxy's instruments. Labels stay bounded: the direction,
// the upstream's destination name (from config), the route's path prefix
// (from config) and a status class. Never an address or an alloc ID.
type metrics struct {
	connsTotal      *prometheus.CounterVec
	connsActive     *prometheus.GaugeVec
	bytesReceived   *prometheus.CounterVec
	bytesSent       *prometheus.CounterVec
	handshakeFails  *prometheus.CounterVec
	denials         *prometheus.CounterVec
	connectFailures *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	retries         *prometheus.CounterVec
	ejections       *prometheus.CounterVec
	configUpdates   prometheus.Counter
}

const ns, sub = "appmesh", "mesh_proxy"

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		connsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "connections_total", Help: "Connections accepted, by direction and upstream (empty for inbound)."},
			[]string{"direction", "upstream"}),
		connsActive: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "connections_active", Help: "Connections open now, by direction and upstream."},
			[]string{"direction", "upstream"}),
		bytesReceived: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "received_bytes_total", Help: "Bytes read from the side that opened the connection."},
			[]string{"direction", "upstream"}),
		bytesSent: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "sent_bytes_total", Help: "Bytes written back to the side that opened the connection."},
			[]string{"direction", "upstream"}),
		handshakeFails: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "tls_handshake_failures_total", Help: "mTLS handshakes that failed (bad, missing or untrusted certificate, wrong identity)."},
			[]string{"direction", "upstream"}),
		denials: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "intention_denials_total", Help: "Inbound connections or HTTP requests refused by an intention or the default policy."},
			[]string{"protocol"}),
		connectFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "upstream_connect_failures_total", Help: "Dials to an upstream instance that failed."},
			[]string{"upstream"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
			Name: "http_request_duration_seconds", Help: "HTTP requests through the proxy, by direction, upstream, route and status class.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}},
			[]string{"direction", "upstream", "route", "code"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "http_retries_total", Help: "HTTP request attempts retried after a connect error or a 502/503/504."},
			[]string{"upstream", "route"}),
		ejections: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "circuit_breaker_ejections_total", Help: "Upstream instances ejected by the circuit breaker after consecutive failures."},
			[]string{"upstream"}),
		configUpdates: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "config_updates_total", Help: "Configurations applied."}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.connsTotal, m.connsActive, m.bytesReceived, m.bytesSent,
		m.handshakeFails, m.denials, m.connectFailures, m.requestDuration, m.retries, m.ejections, m.configUpdates} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// codeClass turns a status into a bounded label value.
func codeClass(code int) string {
	switch {
	case code >= 500:
		return "5xx"
	case code >= 400:
		return "4xx"
	case code >= 300:
		return "3xx"
	case code >= 200:
		return "2xx"
	}
	return "1xx"
}
