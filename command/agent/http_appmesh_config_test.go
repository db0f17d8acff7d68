package agent

import (
	"net/http"
	"strings"
	"testing"
)

// TestAppMeshConfig reads App Mesh's configuration view and merge-patches
// what appmesh changes live (log level, labels) on a real dev agent; any
// other field is refused, naming it, and nothing changes.
func TestAppMeshConfig(t *testing.T) {
	a, _ := startTestAgent(t, "am-config")
	c := amClient{t: t, base: "http://" + a.HTTPAddr()}
	if _, err := a.Client().UpdateNodeMeta(t.Context(), nil, nil); err != nil {
		t.Fatalf("node not registered yet: %v", err)
	}
	cfg := wantKeys(t, "config", c.want(http.StatusOK, "GET", "/appmesh/config", "").body, "BaseConfig", "Labels", "REST")
	if base, _ := cfg["BaseConfig"].(map[string]any); base["LogLevel"] != "ERROR" {
		t.Errorf("BaseConfig: %v, want LogLevel ERROR", cfg["BaseConfig"])
	}

	// As App Mesh's SDK's set_log_level sends it.
	cfg = wantKeys(t, "config", c.want(http.StatusOK, "POST", "/appmesh/config", `{"BaseConfig":{"LogLevel":"WARN"}}`).body, "BaseConfig")
	if base, _ := cfg["BaseConfig"].(map[string]any); base["LogLevel"] != "WARN" || !a.logger.IsWarn() || a.logger.IsInfo() {
		t.Errorf("after the patch: %v; the agent's logger at warn: %v", cfg["BaseConfig"], a.logger.IsWarn())
	}
	cfg = wantKeys(t, "config", c.want(http.StatusOK, "POST", "/appmesh/config", `{"Labels":{"rack":"r1"}}`).body, "Labels")
	if l, _ := cfg["Labels"].(map[string]any); l["rack"] != "r1" || serverNodeMeta(t, a)["rack"] != "r1" {
		t.Errorf("Labels after the patch: %v; servers: %v", cfg["Labels"], serverNodeMeta(t, a))
	}
	c.want(http.StatusOK, "POST", "/appmesh/config", `{"Labels":{"rack":null}}`)
	if _, ok := serverNodeMeta(t, a)["rack"]; ok {
		t.Errorf("label rack still on the node after a null patch")
	}

	for _, bad := range []struct{ body, field string }{
		{`{"REST":{"RestListenPort":7000}}`, `"REST"`},
		{`{"BaseConfig":{"LogLevel":"DEBUG","Description":"x"}}`, `BaseConfig.Description`},
		{`{"BaseConfig":{"LogLevel":"LOUD"}}`, `LogLevel`},
		{`{"Labels":{"rack":"r2"},"Consul":{}}`, `"Consul"`},
	} {
		r := c.want(http.StatusBadRequest, "POST", "/appmesh/config", bad.body)
		msg, _ := wantKeys(t, "refused patch", r.body, "message")["message"].(string)
		if !strings.Contains(msg, bad.field) {
			t.Errorf("%s: message %q does not name %s", bad.body, msg, bad.field)
		}
	}
	if !a.logger.IsWarn() || a.logger.IsInfo() {
		t.Errorf("a refused patch changed the log level")
	}
	if _, ok := serverNodeMeta(t, a)["rack"]; ok {
		t.Errorf("a refused patch changed the labels")
	}
	c.want(http.StatusOK, "POST", "/appmesh/config", `{"BaseConfig":{"LogLevel":"ERROR"}}`)
}
