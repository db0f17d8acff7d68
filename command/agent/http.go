package agent

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Backend is what the HTTP API needs from the agent: RPC calls into the
// servers (in-process or forwarded), task logs from the local client, and a
// description of the agent itself.
type Backend interface {
	// RPC calls a "Service.Method" endpoint (see structs/rpc.go).
	RPC(method string, args any, reply any) error
	// StreamLogs copies a task's log to w until the end of the log or, with
	// follow, until ctx is done. A non-negative offset counts bytes from the
	// start of the log, a negative offset -N starts N bytes before its end,
	// and LogOffsetEnd starts at the current end (only new output). It
	// returns an error containing "not found" for an unknown allocation or
	// task.
	StreamLogs(ctx context.Context, allocID, task, logType string, follow bool, offset int64, w io.Writer) error
	// Self describes the agent for GET /v1/agent/self.
	Self() map[string]any
}

// Timeouts of the HTTP server. There is no write timeout on purpose:
// blocking queries last up to structs.MaxBlockingQueryTime and followed logs
// stream for as long as the caller wants.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
)

// HTTPServer serves the /v1 API.
type HTTPServer struct {
	logger  hclog.Logger
	backend Backend
	mux     *http.ServeMux
	// doors records every route's access rule (route()).
	doors []routeDoor
	guard *httpGuard // refuses what a web page could send (http_guard.go)
	// amChallenges holds App Mesh's pending TOTP challenges
	// (http_appmesh_totp.go).
	amChallenges *amChallengeStore
	// amFileBase is the only directory App Mesh's file API reaches
	// (http_appmesh_files.go); "" none.
	amFileBase string
	// amForwardTLS, when set, is the TLS client configuration for
	// forwarding X-Target-Host requests to other agents
	// (http_appmesh_forward.go).
	amForwardTLS func() *tls.Config
	// started is when the API was built (App Mesh's appmesh_start_time).
	started time.Time
	srv     *http.Server
	ln      net.Listener

	// baseCtx is the parent of every request's context; Shutdown cancels it
	// so that followed log streams and other long requests end promptly.
	baseCtx    context.Context
	cancelBase context.CancelFunc
}

// NewHTTPServer builds the API and, when ln is not nil, starts serving on it.
// Handler() gives the same API for tests without a listener. The caller
// names the logger (the agent passes logger.Named("http")).
func NewHTTPServer(logger hclog.Logger, backend Backend, ln net.Listener, opts ...HTTPServerOption) *HTTPServer {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	s := &HTTPServer{
		logger:  logger,
		backend: backend,
		mux:     http.NewServeMux(),
		started: time.Now(),
		ln:      ln,
	}
	s.guard = newHTTPGuard(logger, nil, "")
	for _, opt := range opts {
		opt(s)
	}
	s.baseCtx, s.cancelBase = context.WithCancel(context.Background())
	s.registerRoutes()
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		BaseContext:       func(net.Listener) context.Context { return s.baseCtx },
		ErrorLog:          s.logger.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
	}
	if ln != nil {
		go s.serve()
	}
	return s
}

func (s *HTTPServer) serve() {
	s.logger.Info("HTTP API listening", "address", s.ln.Addr().String())
	if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.logger.Error("HTTP API stopped", "error", err)
	}
}

// Handler returns the API with request logging, behind the guard against
// web browsers.
func (s *HTTPServer) Handler() http.Handler {
	return s.guard.wrap(http.HandlerFunc(s.logRequests))
}

// Shutdown stops accepting requests, ends long-running ones and waits for
// the rest until ctx is done.
func (s *HTTPServer) Shutdown(ctx context.Context) error {
	s.cancelBase()
	return s.srv.Shutdown(ctx)
}

// logRequests logs each request at debug level. Only the path is logged,
// never the query string or headers: a token may travel in either.
func (s *HTTPServer) logRequests(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	s.mux.ServeHTTP(sw, r)
	observeRequest(r, sw.status, start)
	s.audit(r, sw.status, start)
	s.logger.Debug("request", "method", r.Method, "path", r.URL.Path,
		"status", sw.status, "duration", time.Since(start))
}

// statusWriter remembers the status code for the request log. It forwards
// Flush so that streamed logs still flush, and Unwrap for
// http.ResponseController.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// endpoint handles one route. It returns the value to encode as JSON, or an
// error that writeError maps to a status code. A handler that writes the
// response itself (logs) returns nil, nil.
type endpoint func(w http.ResponseWriter, r *http.Request) (any, error)

// route registers a path with one door (handler + access rule) per
// method. The bare path is registered too, so that any other method gets a
// JSON 405 with an Allow header instead of the mux's plain-text answer.
func (s *HTTPServer) route(path string, methods map[string]door) {
	allowed := make([]string, 0, len(methods))
	for m, d := range methods {
		if d.fn == nil || d.rule.kind == "" {
			panic("route " + m + " " + path + " has no handler or no access rule")
		}
		s.mux.Handle(m+" "+path, s.wrap(d))
		s.doors = append(s.doors, routeDoor{Method: m, Path: path, Rule: d.rule})
		allowed = append(allowed, m)
	}
	sort.Strings(allowed)
	allow := strings.Join(allowed, ", ")
	s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{
			Error: "method " + r.Method + " is not allowed on " + r.URL.Path + ": use " + allow,
		})
	})
}

// routeDoor describes one registered method of one route, for the door
// test and for operators (GET /v1/agent/self does not list them).
type routeDoor struct {
	Method, Path string
	Rule         accessRule
}

// Doors lists every registered route and method with its access rule.
func (s *HTTPServer) Doors() []routeDoor { return append([]routeDoor(nil), s.doors...) }

// wrap turns a door into a handler: check the rule, run the endpoint,
// encode its result or error.
func (s *HTTPServer) wrap(d door) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer, err := s.authorize(r, d.rule)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		ra := requestAuth{token: authToken(r), allocNode: answer.NodeID}
		if d.rule.allocParam != "" {
			ra.allocID = r.PathValue(d.rule.allocParam)
		}
		r = r.WithContext(withRequestAuth(r.Context(), ra))
		out, err := d.fn(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if out != nil {
			writeJSON(w, http.StatusOK, out)
		}
	})
}

type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v) // the client went away; nothing useful to do
}

func (s *HTTPServer) notFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, errorBody{Error: "no such API endpoint: " + r.Method + " " + r.URL.Path})
}
