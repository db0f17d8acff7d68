package agent

import (
	"fmt"

	"github.com/appmesh/appmesh/metrics"
	"github.com/prometheus/client_golang/prometheus"
)

// observability is the agent's metrics registry (and, with the audit
// block, its audit log).
type observability struct {
	registry *prometheus.Registry
	audit    *AuditLog // nil: no audit block
}

// setupObservability builds the agent's own metrics registry (never
// Prometheus's global one) once its server and client exist.
func (a *Agent) setupObservability() error {
	var extra []prometheus.Collector
	if a.server != nil {
		extra = append(extra, a.server.MetricsCollector())
	}
	if a.client != nil {
		extra = append(extra, a.client.MetricsCollector())
	}
	reg, err := metrics.NewRegistry(extra...)
	if err != nil {
		return fmt.Errorf("set up metrics: %w", err)
	}
	a.obs.registry = reg
	a.setupAudit()
	return nil
}

// MetricsRegistry is what GET /v1/metrics serves.
func (a *Agent) MetricsRegistry() *prometheus.Registry { return a.obs.registry }
