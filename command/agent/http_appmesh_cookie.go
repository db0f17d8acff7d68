package agent

import (
	"net/http"
	"strings"
	"time"
)

// amCookie is the cookie App Mesh's SDKs keep the token in when they log in
// with X-Set-Cookie: true.
const amCookie = "appmesh_auth_token"

// amCookieToken reads the token from App Mesh's cookie, on /appmesh/ routes
// only: /v1 and the web UI never take a token from a cookie. A browser
// cannot abuse it from another site: the cookie is SameSite=Strict and the
// guard (http_guard.go) refuses cross-site requests and untyped writes.
func amCookieToken(r *http.Request) string {
	if !strings.HasPrefix(r.URL.Path, "/appmesh/") {
		return ""
	}
	c, err := r.Cookie(amCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// amSetCookie answers X-Set-Cookie: true with the token as App Mesh's
// cookie: Path=/, HttpOnly, SameSite=Strict, Secure under TLS, and no
// Domain at all: the cookie goes back only to the host that set it.
func amSetCookie(w http.ResponseWriter, r *http.Request, token string, exp time.Time) error {
	switch v := strings.ToLower(r.Header.Get("X-Set-Cookie")); v {
	case "", "false", "0":
		return nil
	case "true", "1":
	default:
		return badRequest("X-Set-Cookie %q: use true or false", r.Header.Get("X-Set-Cookie"))
	}
	c := &http.Cookie{Name: amCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil}
	if !exp.IsZero() {
		c.Expires = exp
	}
	http.SetCookie(w, c)
	return nil
}

// amSetCookieRenewed sets the renewed token as the cookie when asked
// (X-Set-Cookie) or when the request authenticated with the cookie: the
// old token in it is now revoked, and App Mesh's HTTP SDKs rely on
// Set-Cookie to update their cookie jar.
func amSetCookieRenewed(w http.ResponseWriter, r *http.Request, token string, exp time.Time) error {
	if r.Header.Get("X-Set-Cookie") == "" && amCookieToken(r) != "" && authToken(r) == amCookieToken(r) {
		r = r.Clone(r.Context())
		r.Header.Set("X-Set-Cookie", "true")
	}
	return amSetCookie(w, r, token, exp)
}

// amClearCookie expires App Mesh's cookie (logoff).
func amClearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: amCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}
