package agent

import (
	"bytes"
	"net/http"
	"strings"
	"time"

	"github.com/appmesh/appmesh/ui"
)

// The web UI (issue 17) is a set of static files embedded in the binary,
// served at /ui/ without a token: they hold no data. Every API call the
// pages make goes through the /v1 doors with the user's token.
//
// Its door is a staticFiles door, which can only be built from ui.Files:
// no handler of the caller's choice runs behind it, so the route-table test
// (TestHTTPDoors) accepts it without a sample, and TestUIDoors checks that
// it is GET-only, lives under /ui/ and answers only embedded bytes.

const uiPrefix = "/ui/"

// staticFiles is the door of the embedded UI: public, read-only, and its
// handler is fixed here.
func staticFiles(files map[string]*ui.File) door {
	return door{fn: serveUIFile(files), rule: accessRule{kind: ruleStatic}}
}

func (s *HTTPServer) registerUIRoutes() {
	files, err := ui.Files()
	if err != nil {
		// A build with broken assets: the API still works, the UI says why.
		s.logger.Error("web UI unavailable", "error", err)
		files = map[string]*ui.File{}
	}
	s.route(uiPrefix, map[string]door{http.MethodGet: staticFiles(files)})
	if s.ln != nil && len(files) > 0 {
		// Where a newcomer running `make dev` finds the UI (http or https
		// as the API: the listener may be TLS).
		s.logger.Info("web UI available", "address", s.ln.Addr().String(), "path", uiPrefix)
	}
}

// serveUIFile answers GET /ui/<name> from the embedded files; /ui/ is
// index.html. Unknown names are a 404 (the pages route with #fragments,
// so no path needs to fall back to index.html).
func serveUIFile(files map[string]*ui.File) endpoint {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		name := strings.TrimPrefix(r.URL.Path, uiPrefix)
		if name == "" {
			name = "index.html"
		}
		f := files[name]
		if f == nil {
			return nil, notFound("no such web UI file: %s", r.URL.Path)
		}
		h := w.Header()
		h.Set("Content-Security-Policy", ui.ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Type", f.ContentType)
		// Revalidate every time: an upgraded agent must not run old
		// scripts against its new API; the ETag keeps that cheap.
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", f.ETag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.Body))
		return nil, nil
	}
}

// rootOrNotFound sends a browser that opens the agent's address to the
// UI, and answers everything else that matched no route with a JSON 404.
// Only a GET of "/" that accepts HTML redirects: curl and the SDK keep
// their JSON error.
func (s *HTTPServer) rootOrNotFound(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		strings.Contains(r.Header.Get("Accept"), "text/html") {
		http.Redirect(w, r, uiPrefix, http.StatusFound)
		return
	}
	s.notFound(w, r)
}
