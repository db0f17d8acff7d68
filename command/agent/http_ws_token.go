package agent

import (
	"net/http"
	"strings"

	"github.com/gorilla/websocket"
)

// A browser cannot set headers on a WebSocket, and a token in the URL
// (?token=) ends up in proxy logs and the browser's history. So the web UI
// offers two subprotocols when it opens an exec session:
//
//	Sec-WebSocket-Protocol: appmesh.exec, appmesh.token.<secret>
//
// The agent reads the token from the second and answers with the first
// only, so the secret is never echoed back. (Token characters, UUIDs and
// JWTs alike, are all valid in a subprotocol name.)
const (
	execSubprotocol = "appmesh.exec"
	wsTokenPrefix   = "appmesh.token."
)

// wsProtocolToken returns the token offered as a subprotocol, or "".
func wsProtocolToken(r *http.Request) string {
	for _, p := range websocket.Subprotocols(r) {
		if t, ok := strings.CutPrefix(p, wsTokenPrefix); ok {
			return t
		}
	}
	return ""
}
