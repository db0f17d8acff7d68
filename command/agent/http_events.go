package agent

import (
	"context"

	"net/http"
	"strconv"
	"strings"

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
// &namespace=NS&follow=false&full=true as newline-delimited JSON.
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
	if v := q.Get("full"); v != "" {
		f, err := strconv.ParseBool(v)
		if err != nil {
			return nil, badRequest("full %q is not true or false", v)
		}
		req.Full = f
	}
	// A client that accepts gzip gets batches compressed once for every
	// subscriber (server/stream/gzip.go): most of a stream's cost is bytes.
	req.Gzip = acceptsGzip(r)
	run, err := eb.OpenEvents(r.Context(), req)
	if err != nil {
		return nil, err
	}
	if req.Gzip { // still set: the serving server compresses
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Add("Vary", "Accept-Encoding")
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-cache")
	// Over HTTP/1.1 the body ends when the connection closes instead of
	// being chunked (net/http sends neither header, and closes after the
	// stream): a send is then one write system call instead of three (a
	// chunk's header, its data, its end), for every subscriber every 25 to
	// 100 ms. HTTP/2 frames the body itself and drops the header.
	w.Header().Set("Transfer-Encoding", "identity")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	flush := func() { _ = rc.Flush() }
	flush()
	if err := run(r.Context(), w, flush); err != nil && r.Context().Err() == nil {
		s.logger.Debug("event stream ended", "error", err)
	}
	return nil, nil
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip
// (and does not refuse it with q=0).
func acceptsGzip(r *http.Request) bool {
	for _, h := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(h, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				continue
			}
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
