// Package ui holds the web UI that every agent serves at /ui/: plain HTML,
// CSS and JavaScript modules written for appmesh, embedded in the binary so
// that no Node toolchain or separate deployment is needed. The files only
// call the public HTTP API (/v1/...) with the user's own token; they hold
// no data themselves, which is why they may be served without a token.
package ui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

//go:embed static
var embedded embed.FS

// File is one embedded asset, ready to serve.
type File struct {
	Name        string // path below /ui/, e.g. "js/api.js"
	ContentType string
	ETag        string // strong validator: the content's SHA-256 prefix
	Body        []byte
}

// contentTypes maps the extensions the UI uses to their types. It is an
// explicit list, not mime.TypeByExtension, whose answer depends on the
// machine's /etc/mime.types: a module script served with a wrong type is
// refused by browsers.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".json": "application/json",
	".txt":  "text/plain; charset=utf-8",
}

// Files reads every embedded asset. It fails for a file whose extension
// has no known content type, so that a new kind of asset cannot ship with
// a guessed one (a unit test calls it).
func Files() (map[string]*File, error) {
	out := map[string]*File{}
	err := fs.WalkDir(embedded, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			return fmt.Errorf("ui asset %s: no content type known for %q; add it to ui.contentTypes", p, path.Ext(p))
		}
		body, err := embedded.ReadFile(p)
		if err != nil {
			return fmt.Errorf("read ui asset %s: %w", p, err)
		}
		sum := sha256.Sum256(body)
		name := strings.TrimPrefix(p, "static/")
		out[name] = &File{Name: name, ContentType: ct, ETag: `"` + hex.EncodeToString(sum[:12]) + `"`, Body: body}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out["index.html"] == nil {
		return nil, fmt.Errorf("ui: index.html is not embedded")
	}
	return out, nil
}

// ContentSecurityPolicy is sent with every UI response. Scripts and styles
// come only from the agent's own files (no inline code, no eval), API calls
// only to the same origin, and no other site may frame the UI.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
