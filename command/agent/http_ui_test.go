package agent

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/ui"
)

// TestUIDoors checks the one kind of door TestHTTPDoors lets through
// without a token sample: the web UI's static files. Such a door must be
// GET-only, under /ui/, and answer only the embedded bytes with their
// content type and the strict Content-Security-Policy.
func TestUIDoors(t *testing.T) {
	s := NewHTTPServer(nil, nil, nil)
	h := s.Handler()
	static := 0
	for _, d := range s.Doors() {
		if d.Rule.kind != ruleStatic {
			continue
		}
		static++
		if d.Method != http.MethodGet || d.Path != uiPrefix {
			t.Errorf("static door %s %s: only GET %s may serve the embedded UI", d.Method, d.Path, uiPrefix)
		}
	}
	if static != 1 {
		t.Fatalf("found %d static doors, want exactly 1 (GET %s)", static, uiPrefix)
	}
	files, err := ui.Files()
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range files {
		path := uiPrefix + name
		if name == "index.html" {
			path = uiPrefix
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+path, nil))
		if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), f.Body) {
			t.Errorf("GET %s: %d, body equal to the embedded file: %v", path, rec.Code, bytes.Equal(rec.Body.Bytes(), f.Body))
		}
		if got := rec.Header().Get("Content-Type"); got != f.ContentType {
			t.Errorf("GET %s: Content-Type %q, want %q", path, got, f.ContentType)
		}
		if got := rec.Header().Get("Content-Security-Policy"); got != ui.ContentSecurityPolicy {
			t.Errorf("GET %s: Content-Security-Policy %q", path, got)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no X-Content-Type-Options: nosniff", path)
		}
		// A revalidation costs no body.
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+path, nil)
		req.Header.Set("If-None-Match", f.ETag)
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: %d, want 304", path, rec.Code)
		}
	}
	for _, want := range []string{"js/main.js", "js/api.js", "app.css"} {
		if files[want] == nil {
			t.Errorf("%s is not embedded", want)
		}
	}
}

// TestUINoInlineScript keeps the pages within their own CSP: no inline
// script or style, no event-handler attributes, and no innerHTML in the
// scripts (user text goes through textContent).
func TestUINoInlineScript(t *testing.T) {
	files, err := ui.Files()
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range files {
		text := string(f.Body)
		switch {
		case strings.HasSuffix(name, ".html"):
			for _, bad := range []string{"<script>", "<style", " style=", " onclick=", " onload=", "javascript:"} {
				if strings.Contains(text, bad) {
					t.Errorf("%s contains %q, which the Content-Security-Policy forbids", name, bad)
				}
			}
			if strings.Count(text, "<script") != strings.Count(text, `<script type="module" src=`) {
				t.Errorf("%s has a script that is not an external module", name)
			}
		case strings.HasSuffix(name, ".js"):
			for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
				if strings.Contains(text, bad) {
					t.Errorf("%s uses %s: build the DOM with dom.js (textContent) instead", name, bad)
				}
			}
			if strings.Contains(text, "token=") {
				t.Errorf("%s puts a token in a URL", name)
			}
		}
	}
}

// TestUIRootAndMethods: a browser opening the agent's address lands on
// the UI, API clients keep their JSON 404, and the UI takes no writes.
func TestUIRootAndMethods(t *testing.T) {
	h := NewHTTPServer(nil, nil, nil).Handler()
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != uiPrefix {
		t.Errorf("browser GET /: %d Location %q, want 302 to %s", rec.Code, rec.Header().Get("Location"), uiPrefix)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://127.0.0.1/", nil))
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "no such API endpoint") {
		t.Errorf("API GET /: %d %s, want the JSON 404", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://127.0.0.1/ui/no-such-file.js", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("GET of a missing UI file: %d, want 404", rec.Code)
	}
	req = httptest.NewRequest(http.MethodPost, "http://127.0.0.1"+uiPrefix, strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST %s: %d %s, want 405", uiPrefix, rec.Code, body)
	}
}
