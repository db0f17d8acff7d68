package agent

// The HTTP guard keeps web browsers from driving the agent, with ACLs on or
// off. A browser lets any web page send requests to any address, including
// 127.0.0.1:6060; what it withholds is the answer and the "non-simple"
// requests a server has not agreed to (CORS). Three holes follow from that,
// and the guard closes each before a request reaches a route:
//
//  1. DNS rebinding. A page of evil.example makes its name resolve to
//     127.0.0.1; its scripts then read and write the API as "same origin".
//     The request's Host is still evil.example, so the guard answers only
//     Host values that are this agent's: an IP literal (with or without a
//     port), localhost, the machine's hostname, the agent's node name, or an
//     entry of http { allowed_hosts }. A request without Host (HTTP/1.0)
//     comes from no browser and passes.
//
//  2. Cross-origin requests. A request with an Origin header comes from a
//     web page (browsers send it on every write, every WebSocket and every
//     CORS read). It passes only when that origin is the agent's own (the
//     same scheme, host and port as the request's Host) or is listed in
//     http { allowed_origins }. "Origin: null" (sandboxed frames, file://
//     pages) is never the agent's own. A request without Origin that the
//     browser marks as coming from another site (Sec-Fetch-Site: cross-site
//     or same-site, e.g. an <img> or <script> pointing at the API) is refused
//     too, except a plain GET/HEAD navigation (a link the user clicks), which
//     only shows the user a JSON page.
//
//  3. Simple writes. A page may POST a form or a fetch() with Content-Type
//     text/plain, application/x-www-form-urlencoded or multipart/form-data
//     without the server's consent (and <a ping> POSTs text/ping), while a
//     job body parses as JSON whatever its label. So a write (POST, PUT,
//     PATCH, DELETE) that names a Content-Type must name application/json or,
//     for binary bodies (snapshot restore, stdin), application/octet-stream,
//     parameters allowed: an allow-list, so that no other odd type a browser
//     sends on its own slips through. A write with a body and no Content-Type
//     is refused as well. A write without a body needs no Content-Type: a
//     browser can send one only through fetch(), sendBeacon() or
//     XMLHttpRequest, which always add an Origin that rule 2 judges (a form
//     always sends a Content-Type), so refusing it would only break curl and
//     the SDK's bodyless calls (join, deregister, ...).
//
// The checks run in that order; the first that fails answers 403 (415 for
// the content type) with a JSON error that says what to change. The same
// origin rule decides WebSocket upgrades (interactive exec).

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// httpGuard holds what the checks compare against.
type httpGuard struct {
	logger hclog.Logger
	// hosts are the DNS names the agent answers to: lower case, without
	// port or trailing dot.
	hosts map[string]bool
	// origins are the extra allowed origins, normalized by parseOrigin.
	origins map[string]bool
}

// newHTTPGuard builds the guard from the agent's http block (nil for
// none) and its node name (may be empty). Invalid entries were refused by
// Config.Validate; any that reach here are skipped with a warning.
func newHTTPGuard(logger hclog.Logger, cfg *HTTPConfig, nodeName string) *httpGuard {
	g := &httpGuard{logger: logger, hosts: map[string]bool{"localhost": true}, origins: map[string]bool{}}
	if h, err := os.Hostname(); err == nil && h != "" {
		g.hosts[normalizeHostName(h)] = true
	}
	if nodeName != "" {
		g.hosts[normalizeHostName(nodeName)] = true
	}
	if cfg == nil {
		return g
	}
	for _, h := range cfg.AllowedHosts {
		name, err := parseAllowedHost(h)
		if err != nil {
			logger.Warn("ignoring an invalid http allowed_hosts entry", "error", err)
			continue
		}
		g.hosts[name] = true
	}
	for _, o := range cfg.AllowedOrigins {
		norm, err := parseOrigin(o)
		if err != nil {
			logger.Warn("ignoring an invalid http allowed_origins entry", "error", err)
			continue
		}
		g.origins[norm] = true
	}
	return g
}

// wrap runs the checks before next.
func (g *httpGuard) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code, msg := g.check(r); code != 0 {
			// Warn: an operator whose proxy or web UI is refused needs to
			// see why. Only the path is logged; the query may hold a token.
			g.logger.Warn("refused a request that a web browser could have sent on a web page's behalf",
				"method", r.Method, "path", r.URL.Path, "status", code, "reason", msg)
			writeJSON(w, code, errorBody{Error: msg})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// check returns 0 for a request that may proceed, or the status and
// message that refuse it.
func (g *httpGuard) check(r *http.Request) (int, string) {
	if !g.hostAllowed(r.Host) {
		return http.StatusForbidden, fmt.Sprintf("refused: Host %q is not this agent's; add it to http { allowed_hosts } "+
			"in the agent's configuration if you reach the agent by that name "+
			"(the agent answers only its own names and IP addresses, so that a web page cannot reach it through DNS rebinding)", r.Host)
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		if !g.originAllowed(r) {
			return http.StatusForbidden, fmt.Sprintf("refused: web pages of origin %q may not call this agent's API; "+
				"add that origin to http { allowed_origins } in the agent's configuration to allow it", origin)
		}
	} else if site := strings.ToLower(r.Header.Get("Sec-Fetch-Site")); site == "cross-site" || site == "same-site" {
		navigation := strings.EqualFold(r.Header.Get("Sec-Fetch-Mode"), "navigate") &&
			(r.Method == http.MethodGet || r.Method == http.MethodHead)
		if !navigation {
			return http.StatusForbidden, fmt.Sprintf("refused: a web browser sent this request for a page of another site "+
				"(Sec-Fetch-Site: %s) without an Origin header this agent allows", site)
		}
	}
	if isWrite(r.Method) {
		ct := strings.TrimSpace(r.Header.Get("Content-Type"))
		hasBody := r.ContentLength != 0 // -1: chunked or unknown length
		if (ct == "" && hasBody) || (ct != "" && !isWriteContentType(ct) && !amUploadType(r, ct)) {
			got := "no Content-Type"
			if ct != "" {
				got = fmt.Sprintf("Content-Type %q", ct)
			}
			return http.StatusUnsupportedMediaType, fmt.Sprintf("refused: send this %s with "+
				"Content-Type: application/json (or application/octet-stream for a binary body such as a snapshot restore), not %s; "+
				"the agent refuses writes of the types any web page may send without asking "+
				"(with curl: -H 'Content-Type: application/json')",
				r.Method, got)
		}
	}
	return 0, ""
}

// hostAllowed reports whether a Host header names this agent.
func (g *httpGuard) hostAllowed(host string) bool {
	if host == "" {
		return true // HTTP/1.0 without Host: not a browser
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
	// The names first: a name that fails ParseAddr costs an allocated error.
	if g.hosts[normalizeHostName(name)] {
		return true
	}
	_, err := netip.ParseAddr(name)
	return err == nil // an IP literal: no DNS name, so nothing to rebind
}

// originAllowed reports whether the request's Origin (if any) is the
// agent's own origin or an allowed one. It also serves as the WebSocket
// upgrader's CheckOrigin.
func (g *httpGuard) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	norm, err := parseOrigin(origin)
	if err != nil {
		return false // "null" and anything malformed
	}
	if g.origins[norm] {
		return true
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	own, err := parseOrigin(scheme + "://" + r.Host)
	return err == nil && own == norm
}

// parseOrigin normalizes "scheme://host[:port]" to lower case with an
// explicit port, so that http://LOCALHOST and http://localhost:80 match.
func parseOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("origin %q is not a URL: %w", s, err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("origin %q must start with http:// or https://", s)
	}
	if u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("origin %q must be only scheme://host[:port], as a browser sends it", s)
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if scheme == "https" {
			port = "443"
		}
	}
	return scheme + "://" + net.JoinHostPort(normalizeHostName(u.Hostname()), port), nil
}

// parseAllowedHost checks an allowed_hosts entry, a DNS name with an
// optional port (ignored), and returns the name as hostAllowed compares it.
func parseAllowedHost(s string) (string, error) {
	name := strings.TrimSpace(s)
	if h, port, err := net.SplitHostPort(name); err == nil && !strings.ContainsAny(port, "/@") {
		name = h
	}
	if name == "" || strings.ContainsAny(name, "/*@: []") {
		return "", fmt.Errorf("allowed host %q must be a DNS name such as appmesh.example.com (no scheme, path or wildcard)", s)
	}
	return normalizeHostName(name), nil
}

func normalizeHostName(h string) string {
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// problems lists what is wrong with the http block, for Config.Validate.
func (c *HTTPConfig) problems() []string {
	if c == nil {
		return nil
	}
	var out []string
	for _, h := range c.AllowedHosts {
		if _, err := parseAllowedHost(h); err != nil {
			out = append(out, "http allowed_hosts: "+err.Error())
		}
	}
	for _, o := range c.AllowedOrigins {
		if _, err := parseOrigin(o); err != nil {
			out = append(out, "http allowed_origins: "+err.Error())
		}
	}
	return out
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// isWriteContentType reports whether a write may carry Content-Type ct:
// JSON or a binary stream, whatever the parameters. Both make a browser ask
// the agent first (a CORS preflight, which the agent does not answer), and
// the CORS "simple" types (text/plain, forms) are not among them.
func isWriteContentType(ct string) bool {
	essence, _, _ := strings.Cut(ct, ";")
	switch strings.ToLower(strings.TrimSpace(essence)) {
	case "application/json", "application/octet-stream":
		return true
	}
	return false
}

// amUploadType lets App Mesh's file upload be what its SDKs send, a
// multipart form, on that one route. A web page of another site cannot use
// it: rule 2 above refuses its Origin (browsers send one on every POST,
// and Sec-Fetch-Site besides), and App Mesh's cookie is SameSite=Strict,
// so a cross-site form carries no token.
func amUploadType(r *http.Request, ct string) bool {
	essence, _, _ := strings.Cut(ct, ";")
	return r.Method == http.MethodPost && r.URL.Path == "/appmesh/file/upload" &&
		strings.EqualFold(strings.TrimSpace(essence), "multipart/form-data")
}

// HTTPServerOption configures an HTTPServer when NewHTTPServer builds it.
type HTTPServerOption func(*HTTPServer)

// WithHTTPConfig applies the agent's http block (allowed_hosts,
// allowed_origins) and adds nodeName to the Host names the API answers
// to. Without it the API answers IP literals, localhost and the machine's
// hostname, and no foreign origin.
func WithHTTPConfig(cfg *HTTPConfig, nodeName string) HTTPServerOption {
	return func(s *HTTPServer) { s.guard = newHTTPGuard(s.logger, cfg, nodeName) }
}
