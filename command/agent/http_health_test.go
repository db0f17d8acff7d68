package agent

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAgentHealth: the health endpoint answers without a token even with
// ACLs on, reports the server and client of a dev agent healthy, refuses
// a part the agent does not run, and answers 503 with a reason once the
// client cannot reach its servers.
func TestAgentHealth(t *testing.T) {
	a, _ := startACLAgent(t)
	c := doorClient{t: t, base: "http://" + a.HTTPAddr()}
	waitHealth := func(base, q string, want int) map[string]healthPart {
		t.Helper()
		var parts map[string]healthPart
		deadline := time.Now().Add(60 * time.Second)
		for {
			code, body := doorClient{t: t, base: base}.do("GET", "/v1/agent/health"+q, "", "")
			parts = nil
			_ = json.Unmarshal([]byte(body), &parts)
			if code == want {
				return parts
			}
			if time.Now().After(deadline) {
				t.Fatalf("health%s: %d %s, want %d", q, code, body, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	parts := waitHealth(c.base, "", http.StatusOK)
	if !parts["server"].OK || !parts["client"].OK {
		t.Fatalf("dev agent health: %+v", parts)
	}
	if p := waitHealth(c.base, "?type=server", http.StatusOK); len(p) != 1 || !p["server"].OK {
		t.Fatalf("type=server: %+v", p)
	}
	if code, body := c.do("GET", "/v1/agent/health?type=leader", "", ""); code != http.StatusBadRequest || !strings.Contains(body, "type=server") {
		t.Errorf("type=leader: %d %s", code, body)
	}
	if strings.Contains(mustBody(t, c, "/v1/agent/health"), a.HTTPAddr()) {
		t.Errorf("health answer names the agent's address")
	}

	// A client-only agent whose server goes away turns unhealthy.
	srv, _ := startTestAgent(t, "health-server")
	cl, _ := startTestAgentWith(t, "health-client", nil, "127.0.0.1:"+itoa(srv.config.Ports.RPC))
	base := "http://" + cl.HTTPAddr()
	waitHealth(base, "?type=client", http.StatusOK)
	if code, body := (doorClient{t: t, base: base}).do("GET", "/v1/agent/health?type=server", "", ""); code != http.StatusBadRequest {
		t.Errorf("type=server on a client-only agent: %d %s, want 400", code, body)
	}
	_ = srv.Shutdown()
	p := waitHealth(base, "?type=client", http.StatusServiceUnavailable)
	if p["client"].OK || p["client"].Reason == "" {
		t.Errorf("client without servers: %+v, want not ok with a reason", p)
	}
}

func mustBody(t *testing.T, c doorClient, path string) string {
	t.Helper()
	_, body := c.do("GET", path, "", "")
	return body
}

func itoa(n int) string { return strconv.Itoa(n) }
