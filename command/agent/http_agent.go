package agent

import "net/http"

// GET /v1/agent/self → the agent's description (config, member, stats).
func (s *HTTPServer) agentSelf(w http.ResponseWriter, r *http.Request) (any, error) {
	self := s.backend.Self()
	if self == nil {
		self = map[string]any{}
	}
	return self, nil
}
