package agent

import (
	"net/http"
)

// healthPart is the health of one side of the agent.
type healthPart struct {
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"`
}

// healthBackend is the part of the Backend that can tell its health.
type healthBackend interface {
	Health(kind string) (map[string]healthPart, error)
}

// registerHealthRoute serves GET /v1/agent/health?type=server|client. Its
// door is public: load balancers and systemd have no token. It tells only
// ok or not and a short reason, nothing about jobs, addresses or versions.
func (s *HTTPServer) registerHealthRoute() {
	s.route("/v1/agent/health", map[string]door{http.MethodGet: public(s.agentHealth)})
}

// agentHealth answers 200 when every asked part is healthy, 503 with the
// reasons otherwise. Without ?type= it checks what the agent runs.
func (s *HTTPServer) agentHealth(w http.ResponseWriter, r *http.Request) (any, error) {
	kind := r.URL.Query().Get("type")
	switch kind {
	case "", "server", "client":
	default:
		return nil, badRequest("unknown health type %q: use type=server or type=client", kind)
	}
	hb, ok := s.backend.(healthBackend)
	if !ok {
		return nil, &httpError{code: http.StatusNotImplemented, msg: "this agent cannot report its health"}
	}
	parts, err := hb.Health(kind)
	if err != nil {
		return nil, err
	}
	code := http.StatusOK
	for _, p := range parts {
		if !p.OK {
			code = http.StatusServiceUnavailable
		}
	}
	writeJSON(w, code, parts)
	return nil, nil
}
