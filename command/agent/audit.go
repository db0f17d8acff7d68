package agent

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
	"gopkg.in/natefinch/lumberjack.v2"
)

// AuditLog writes one JSON line per write request to a size-rotated file
// (lumberjack; new files are 0600). It records who asked (the token's
// accessor ID and name, resolved through the servers, never the secret),
// from where, the route template and the object path, whether the door
// let the request through, and its status. Request bodies and query
// strings are never written: a token or a secret may travel in either.
type AuditLog struct {
	logger hclog.Logger
	// resolve names a token's owner (accessor, name); nil when ACLs are
	// off.
	resolve func(token string) (accessor, name string, err error)

	mu  sync.Mutex
	out *lumberjack.Logger
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	Time       string `json:"time"`
	AccessorID string `json:"accessor_id"`
	TokenName  string `json:"token_name,omitempty"`
	RemoteAddr string `json:"remote_addr"`
	Method     string `json:"method"`
	Route      string `json:"route"`
	// Object is the request's path (IDs and names of what it acted on),
	// without the query string.
	Object    string `json:"object"`
	Namespace string `json:"namespace,omitempty"`
	// Decision is "allowed", or "denied" for a 401 or 403.
	Decision   string  `json:"decision"`
	Status     int     `json:"status"`
	DurationMS float64 `json:"duration_ms"`
}

// Identities written when no token owner can be named.
const (
	auditAnonymous    = "anonymous"
	auditACLDisabled  = "acl-disabled"
	auditUnknownToken = "unknown-token"
)

func newAuditLog(cfg *AuditConfig, logger hclog.Logger, resolve func(string) (string, string, error)) *AuditLog {
	return &AuditLog{
		logger:  logger,
		resolve: resolve,
		out: &lumberjack.Logger{
			Filename:   cfg.Path,
			MaxSize:    cfg.MaxSizeMB,
			MaxBackups: cfg.MaxBackups,
		},
	}
}

// Record writes the entry of a finished request; reads are not recorded.
func (l *AuditLog) Record(r *http.Request, status int, start time.Time) {
	if l == nil || !isWrite(r.Method) {
		return
	}
	e := AuditEntry{
		Time:       start.UTC().Format(time.RFC3339Nano),
		RemoteAddr: r.RemoteAddr,
		Method:     r.Method,
		Route:      routeTemplate(r),
		Object:     r.URL.Path,
		Namespace:  r.URL.Query().Get("namespace"),
		Decision:   "allowed",
		Status:     status,
		DurationMS: float64(time.Since(start).Microseconds()) / 1000,
	}
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		e.Decision = "denied"
	}
	e.AccessorID, e.TokenName = l.identify(authToken(r))
	line, err := json.Marshal(e)
	if err != nil {
		l.logger.Error("encode audit entry", "error", err)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.out.Write(append(line, '\n')); err != nil {
		l.logger.Error("write audit log", "path", l.out.Filename, "error", err)
	}
}

func (l *AuditLog) identify(token string) (accessor, name string) {
	switch {
	case l.resolve == nil:
		return auditACLDisabled, ""
	case token == "":
		return auditAnonymous, ""
	}
	accessor, name, err := l.resolve(token)
	if err != nil {
		return auditUnknownToken, ""
	}
	return accessor, name
}

// Close closes the current file.
func (l *AuditLog) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.out.Close()
}

// routeTemplate is the pattern the router matched ("/v1/job/{rest...}"),
// or "unmatched".
func routeTemplate(r *http.Request) string {
	route := r.Pattern
	if _, p, ok := strings.Cut(route, " "); ok {
		route = p
	}
	if route == "" {
		return "unmatched"
	}
	return route
}

// auditBackend is the part of the Backend that keeps an audit log.
type auditBackend interface {
	AuditLog() *AuditLog
}

func (s *HTTPServer) audit(r *http.Request, status int, start time.Time) {
	if ab, ok := s.backend.(auditBackend); ok {
		ab.AuditLog().Record(r, status, start)
	}
}

// setupAudit opens the audit log of the agent's audit block.
func (a *Agent) setupAudit() {
	cfg := a.config.Audit
	if !cfg.On() {
		return
	}
	var resolve func(string) (string, string, error)
	if a.config.ACL.Enabled {
		resolve = func(token string) (string, string, error) {
			args := &structs.GenericRequest{}
			args.AuthToken = token
			args.AllowStale = true
			var reply structs.ACLTokenGetResponse
			if err := a.RPC(structs.ACLTokenSelfRPC, args, &reply); err != nil {
				return "", "", err
			}
			if reply.Token == nil {
				return "", "", fmt.Errorf("no token")
			}
			return reply.Token.AccessorID, reply.Token.Name, nil
		}
	}
	a.obs.audit = newAuditLog(cfg, a.logger.Named("audit"), resolve)
	a.logger.Info("audit log enabled", "path", cfg.Path)
}

// AuditLog is the agent's audit log, nil when the audit block is off.
func (a *Agent) AuditLog() *AuditLog { return a.obs.audit }
