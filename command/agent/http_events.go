package agent

import (
	"context"

	"net/http"
	"strconv"

	"github.com/appmesh/appmesh/transport"
)

// eventsBackend is the part of the Backend that serves the event stream
// (the Agent).
type eventsBackend interface {
	OpenEvents(ctx context.Context, req *transport.EventsRequest) (eventRunner, error)
}

// serverChecked is a door whose check the servers make themselves with the
// request's token, like an RPC's: the event stream resolves the token and
// refuses a namespace or topic it may not read before anything is sent.
func serverChecked(fn endpoint) door { return viaRPC(fn) }

func (s *HTTPServer) registerEventRoutes() {
	s.route("/v1/event/stream", map[string]door{http.MethodGet: serverChecked(s.eventStream)})
}

// eventStream serves GET /v1/event/stream?topic=T[:key]&index=N
// &namespace=NS&follow=false as newline-delimited JSON.
func (s *HTTPServer) eventStream(w http.ResponseWriter, r *http.Request) (any, error) {
	eb, ok := s.backend.(eventsBackend)
	if !ok {
		return nil, &httpError{code: http.StatusNotImplemented, msg: "this agent has no event stream"}
	}
	q := r.URL.Query()
	req := &transport.EventsRequest{Topics: q["topic"], Namespace: q.Get("namespace"), Follow: true, AuthToken: authToken(r)}
	if v := q.Get("index"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, badRequest("index %q is not a Raft index (a non-negative integer)", v)
		}
		req.Index = n
	}
	if v := q.Get("follow"); v != "" {
		f, err := strconv.ParseBool(v)
		if err != nil {
			return nil, badRequest("follow %q is not true or false", v)
		}
		req.Follow = f
	}
	run, err := eb.OpenEvents(r.Context(), req)
	if err != nil {
		return nil, err
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	flush := func() { _ = rc.Flush() }
	flush()
	if err := run(r.Context(), w, flush); err != nil && r.Context().Err() == nil {
		s.logger.Debug("event stream ended", "error", err)
	}
	return nil, nil
}
