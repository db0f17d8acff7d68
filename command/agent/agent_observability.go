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
	// gatherer is what /v1/metrics serves: the registry, and on a client
	// the metrics of its running sidecar proxies and gateways.
	gatherer prometheus.Gatherer
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
	a.obs.gatherer = reg
	if a.client != nil {
		a.obs.gatherer = prometheus.Gatherers{reg, a.client.MeshProxyGatherer()}
	}
	a.setupAudit()
	return nil
}

// MetricsRegistry is what GET /v1/metrics serves.
func (a *Agent) MetricsRegistry() *prometheus.Registry { return a.obs.registry }

// MetricsGatherer is what GET /v1/metrics serves: the registry and the
// local proxies' metrics (scraped from their loopback listeners at each
// request).
func (a *Agent) MetricsGatherer() prometheus.Gatherer {
	if a.obs.gatherer == nil {
		return nil
	}
	return a.obs.gatherer
}

// Health reports the server's and the client's health (kind "server",
// "client", or "" for whichever this agent runs). Asking for a part the
// agent does not run is an error: a load balancer pointed at the wrong
// agent must not see it healthy.
func (a *Agent) Health(kind string) (map[string]healthPart, error) {
	out := map[string]healthPart{}
	if kind == "server" && a.server == nil {
		return nil, badRequest("this agent runs no server: ask type=client, or a server's agent")
	}
	if kind == "client" && a.client == nil {
		return nil, badRequest("this agent runs no client: ask type=server, or a client's agent")
	}
	if a.server != nil && kind != "client" {
		p := healthPart{OK: true}
		if a.server.Leader() == "" {
			p = healthPart{Reason: "no Raft leader: the cluster cannot take writes or schedule"}
		}
		out["server"] = p
	}
	if a.client != nil && kind != "server" {
		ok, reason := a.client.Health()
		out["client"] = healthPart{OK: ok, Reason: reason}
	}
	return out, nil
}
