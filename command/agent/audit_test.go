package agent

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// TestAuditLog: with ACLs on and the audit block enabled, a denied write
// and an allowed one are recorded with the caller's identity (the token's
// accessor and name, never its secret), the route template, the object and
// the status; reads and request bodies are not recorded.
func TestAuditLog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	cfg := DevConfig()
	cfg.Name = "audited"
	cfg.LogLevel = "ERROR"
	cfg.ACL.Enabled = true
	cfg.Audit = &AuditConfig{Enabled: true, Path: path}
	cfg.Ports.HTTP, cfg.Ports.RPC, cfg.Ports.Gossip = freeTCPPort(t), freeTCPPort(t), freeTCPPort(t)
	a, err := NewAgent(cfg, hclog.New(&hclog.LoggerOptions{Level: hclog.Error, Output: os.Stderr}))
	if err != nil {
		t.Fatalf("start agent: %v", err)
	}
	t.Cleanup(func() { _ = a.Shutdown() })
	var boot structs.ACLTokenResponse
	if err := a.RPC(structs.ACLBootstrapRPC, &structs.ACLBootstrapRequest{}, &boot); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	mgmt := boot.Token.SecretID
	c := doorClient{t: t, base: "http://" + a.HTTPAddr()}

	body := `{"job":{"id":"audited-job","type":"batch","groups":[{"name":"g","tasks":[
	  {"name":"t","driver":"raw_exec","config":{"command":"/bin/echo","args":["body-marker-42"]}}]}]}}`
	if code, out := c.do("PUT", "/v1/jobs", "", body); code != 403 {
		t.Fatalf("PUT /v1/jobs without a token: %d %s, want 403", code, out)
	}
	c.must("PUT", "/v1/jobs", mgmt, body)
	c.must("GET", "/v1/jobs", mgmt, "")
	if code, _ := c.do("DELETE", "/v1/job/audited-job?namespace=default", structs.GenerateID(), ""); code != 403 {
		t.Fatalf("DELETE with an unknown token: %d, want 403", code)
	}

	entries := readAudit(t, path)
	if len(entries) != 3 {
		t.Fatalf("audit log has %d entries, want 3 (two PUTs and a DELETE, no GET): %+v", len(entries), entries)
	}
	denied, allowed, unknown := entries[0], entries[1], entries[2]
	if denied.Decision != "denied" || denied.Status != 403 || denied.AccessorID != auditAnonymous ||
		denied.Route != "/v1/jobs" || denied.Method != "PUT" || !strings.HasPrefix(denied.RemoteAddr, "127.0.0.1:") {
		t.Errorf("denied entry: %+v", denied)
	}
	if allowed.Decision != "allowed" || allowed.Status != 200 || allowed.AccessorID != boot.Token.AccessorID ||
		allowed.TokenName != boot.Token.Name || allowed.Route != "/v1/jobs" {
		t.Errorf("allowed entry: %+v, want accessor %s name %q", allowed, boot.Token.AccessorID, boot.Token.Name)
	}
	if unknown.Decision != "denied" || unknown.AccessorID != auditUnknownToken || unknown.Route != "/v1/job/{rest...}" ||
		unknown.Object != "/v1/job/audited-job" || unknown.Namespace != "default" {
		t.Errorf("unknown-token entry: %+v", unknown)
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), mgmt) || strings.Contains(string(raw), "body-marker-42") {
		t.Errorf("the audit log holds a secret or a request body:\n%s", raw)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("audit log mode %v (%v), want no access for group and others", fi.Mode(), err)
	}
}

func readAudit(t *testing.T, path string) []AuditEntry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open audit log: %v", err)
	}
	defer f.Close()
	var out []AuditEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e AuditEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

func TestAuditConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		cfg  *AuditConfig
		want string
	}{
		{&AuditConfig{Enabled: true}, "path is required"},
		{&AuditConfig{Enabled: true, Path: "/no/such/dir/audit.log"}, "does not exist"},
		{&AuditConfig{Enabled: true, Path: filepath.Join(t.TempDir(), "a.log"), MaxSizeMB: -1}, "must not be negative"},
	} {
		err := tc.cfg.validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error with %q", tc.cfg, err, tc.want)
		}
	}
	ok := &AuditConfig{Enabled: true, Path: filepath.Join(t.TempDir(), "a.log")}
	if err := ok.validate(); err != nil || ok.MaxSizeMB != DefaultAuditMaxSizeMB || ok.MaxBackups != DefaultAuditMaxBackups {
		t.Errorf("valid block: %v %+v", err, ok)
	}
}

func TestAuditBlockInConfigFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "agent.hcl")
	hcl := "audit {\n  enabled = true\n  path = \"" + filepath.Join(dir, "audit.log") + "\"\n  max_backups = 3\n}\n"
	if err := os.WriteFile(file, []byte(hcl), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if err := LoadConfigFile(file, cfg); err != nil {
		t.Fatalf("load: %v", err)
	}
	if !cfg.Audit.On() || cfg.Audit.MaxBackups != 3 || cfg.Audit.Path != filepath.Join(dir, "audit.log") {
		t.Fatalf("audit block read as %+v", cfg.Audit)
	}
}
