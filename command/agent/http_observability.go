package agent

// registerObservabilityRoutes wires the metrics, event stream and health
// endpoints (http_metrics.go, http_events.go, http_health.go).
func (s *HTTPServer) registerObservabilityRoutes() {
	s.registerMetricsRoute()
	s.registerEventRoutes()
	s.registerHealthRoute()
}
