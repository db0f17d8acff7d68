package agent

import (
	"net/http"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
	"github.com/gorilla/websocket"
)

// TestExecWebSocketTokenSubprotocol: the web UI's way to send a token on
// a WebSocket (an appmesh.token.<secret> subprotocol) is what the door
// reads, a wrong one is refused, and the agent never echoes the token
// subprotocol back.
func TestExecWebSocketTokenSubprotocol(t *testing.T) {
	a, mgmt := startACLAgent(t)
	url := "ws://" + a.HTTPAddr() + "/v1/client/allocation/" + structs.GenerateID() + `/exec?task=t&command=["/bin/true"]`
	dial := func(token string) (*websocket.Conn, *http.Response, error) {
		d := websocket.Dialer{Subprotocols: []string{execSubprotocol, wsTokenPrefix + token}}
		return d.Dial(url, nil)
	}
	_, resp, err := dial(structs.GenerateID())
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("an unknown token in the subprotocol: %v (response %v), want 403", err, resp)
	}
	// The management token passes the door; the allocation does not
	// exist, so the session answers with an error frame or a 404, not 403.
	ws, resp, err := dial(mgmt)
	if resp != nil && resp.StatusCode == http.StatusForbidden {
		t.Fatalf("the management token in the subprotocol was refused: %v", err)
	}
	if err != nil && (resp == nil || resp.StatusCode != http.StatusNotFound) {
		t.Fatalf("the management token in the subprotocol: %v (response %v), want an upgrade or a 404 for the unknown allocation", err, resp)
	}
	if err == nil {
		defer ws.Close()
		if got := ws.Subprotocol(); got != execSubprotocol || strings.Contains(got, mgmt) {
			t.Errorf("negotiated subprotocol %q, want %q (and never the token)", got, execSubprotocol)
		}
	}
}
