package command

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
	"github.com/mitchellh/cli"
)

func mustRun(t *testing.T, ui *cli.MockUi, args ...string) string {
	t.Helper()
	ui.OutputWriter.Reset()
	ui.ErrorWriter.Reset()
	code, out, stderr := runCmd(ui, args...)
	if code != exitOK {
		t.Fatalf("%v: exit %d\nstdout %s\nstderr %s", args, code, out, stderr)
	}
	return out
}

func wantAll(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, out)
		}
	}
}

func TestACLAndNamespaceUsageErrorsExit2(t *testing.T) {
	f, _ := newFakeACLAgent(t)
	for _, args := range [][]string{
		{"acl"},
		{"acl", "frobnicate"},
		{"acl", "bootstrap", "extra"},
		{"acl", "bootstrap", "-reset-index", "x"},
		{"acl", "policy"},
		{"acl", "policy", "apply", "name"},
		{"acl", "policy", "apply", "name", "file", "more"},
		{"acl", "policy", "info"},
		{"acl", "policy", "delete"},
		{"acl", "policy", "list", "x"},
		{"acl", "token", "create"}, // a client token without policies or roles
		{"acl", "token", "create", "-type", "root", "-policy", "p"},
		{"acl", "token", "create", "-type", "management", "-policy", "p"},
		{"acl", "token", "create", "-policy", "p", "-ttl", "-1h"},
		{"acl", "token", "create", "-policy", "p", "-ttl", "soon"},
		{"acl", "token", "info"},
		{"acl", "token", "self", "x"},
		{"acl", "token", "update", "acc"}, // nothing to update
		{"acl", "token", "update", "-name", "x"},
		{"acl", "token", "delete"},
		{"acl", "role", "create", "-policy", "p"},
		{"acl", "role", "create", "-name", "r"},
		{"acl", "role", "info"},
		{"acl", "role", "info", "-by-name", "r", "id"},
		{"acl", "role", "update", "id"},
		{"acl", "role", "update", "-name", "", "id"},
		{"acl", "role", "delete"},
		{"namespace"},
		{"namespace", "apply"},
		{"namespace", "apply", "*"},
		{"namespace", "apply", "-meta", "novalue", "prod"},
		{"namespace", "status"},
		{"namespace", "info", "a", "b"},
		{"namespace", "delete"},
		{"namespace", "list", "-bogus"},
	} {
		code, _, stderr := runCmd(cli.NewMockUi(), args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want 2; stderr %s", args, code, stderr)
		}
		if !strings.Contains(stderr, "Usage") {
			t.Errorf("%v: no help printed: %q", args, stderr)
		}
	}
	if n := len(f.requests); n != 0 {
		t.Errorf("usage errors sent %d requests, first %+v", n, f.requests[0])
	}
}

func TestACLBootstrap(t *testing.T) {
	_, ui := newFakeACLAgent(t)
	out := mustRun(t, ui, "acl", "bootstrap", "-json")
	var tok map[string]any
	if err := json.Unmarshal([]byte(out), &tok); err != nil {
		t.Fatalf("-json output is not JSON: %v\n%s", err, out)
	}
	if tok["accessor_id"] != "accessor-1" || tok["secret_id"] != "secret-1" || tok["type"] != "management" {
		t.Errorf("token JSON = %s", out)
	}

	// A second bootstrap is refused by the agent: exit 1 with its message.
	code, _, stderr := runCmd(ui, "acl", "bootstrap")
	if code != exitError || !strings.Contains(stderr, "ACL bootstrap already done") {
		t.Errorf("second bootstrap: exit %d, stderr %q", code, stderr)
	}
}

func TestACLBootstrapPlainShowsSecret(t *testing.T) {
	_, ui := newFakeACLAgent(t)
	out := mustRun(t, ui, "acl", "bootstrap")
	wantAll(t, "bootstrap", out, "Accessor ID", "accessor-1", "Secret ID", "secret-1", "management")
}

func TestACLPolicyCommands(t *testing.T) {
	f, ui := newFakeACLAgent(t)
	rules := `namespace "prod" { policy = "read" }`
	out := mustRun(t, ui, "acl", "policy", "apply", "-description", "read prod", "readonly", writeFile(t, "p.hcl", rules))
	wantAll(t, "apply", out, `Successfully wrote policy "readonly"`)
	if req := f.last(t); req.Method != "PUT" || req.Path != "/v1/acl/policy/readonly" {
		t.Errorf("apply sent %s %s", req.Method, req.Path)
	}
	if p := f.policies["readonly"]; p == nil || p.Rules != rules || p.Description != "read prod" {
		t.Fatalf("stored policy %+v", p)
	}

	// From standard input.
	ui.InputReader = strings.NewReader(`node { policy = "write" }`)
	mustRun(t, ui, "acl", "policy", "apply", "nodes", "-")
	if p := f.policies["nodes"]; p == nil || p.Rules != `node { policy = "write" }` {
		t.Fatalf("policy from stdin %+v", p)
	}

	out = mustRun(t, ui, "acl", "policy", "list")
	wantAll(t, "list", out, "Name", "Description", "readonly", "read prod", "nodes")
	out = mustRun(t, ui, "acl", "policy", "list", "-json")
	var list []*structs.ACLPolicy
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 2 {
		t.Errorf("list -json = %v %s", err, out)
	}

	out = mustRun(t, ui, "acl", "policy", "info", "readonly")
	wantAll(t, "info", out, "readonly", "read prod", "Rules", rules)

	mustRun(t, ui, "acl", "policy", "delete", "nodes")
	if _, ok := f.policies["nodes"]; ok {
		t.Error("policy not deleted")
	}
	code, _, stderr := runCmd(ui, "acl", "policy", "info", "nodes")
	if code != exitError || !strings.Contains(stderr, `policy "nodes" not found`) {
		t.Errorf("info of a deleted policy: exit %d %q", code, stderr)
	}

	// An empty file is refused before anything is sent.
	n := len(f.requests)
	code, _, stderr = runCmd(ui, "acl", "policy", "apply", "x", writeFile(t, "empty.hcl", "\n"))
	if code != exitError || !strings.Contains(stderr, "is empty") || len(f.requests) != n {
		t.Errorf("empty file: exit %d %q, %d requests", code, stderr, len(f.requests)-n)
	}
}

func TestACLTokenCommands(t *testing.T) {
	f, ui := newFakeACLAgent(t)
	out := mustRun(t, ui, "acl", "token", "create", "-name", "ci", "-policy", "readonly", "-policy", "logs",
		"-role-name", "ops", "-ttl", "1h")
	wantAll(t, "create", out, "Secret ID", "secret-1", "ci", "client", "readonly,logs", "ops")
	var body map[string]any
	if err := json.Unmarshal(f.last(t).Body, &body); err != nil {
		t.Fatal(err)
	}
	if body["expiration_ttl"] != "1h0m0s" || body["type"] != "client" || body["name"] != "ci" {
		t.Errorf("create body %s", f.last(t).Body)
	}
	if tok := f.tokens["accessor-1"]; tok.ExpirationTime == nil {
		t.Error("the TTL did not reach the agent as a duration")
	}

	out = mustRun(t, ui, "acl", "token", "create", "-type", "management", "-json")
	var mgmt structs.ACLToken
	if err := json.Unmarshal([]byte(out), &mgmt); err != nil || mgmt.SecretID != "secret-2" || mgmt.Type != "management" {
		t.Fatalf("create -json: %v %s", err, out)
	}

	out = mustRun(t, ui, "acl", "token", "list")
	wantAll(t, "list", out, "Accessor ID", "accessor-1", "accessor-2", "readonly,logs")
	if strings.Contains(out, "secret-") {
		t.Errorf("list shows a secret:\n%s", out)
	}

	out = mustRun(t, ui, "acl", "token", "info", "accessor-1")
	wantAll(t, "info", out, "accessor-1", "ci", "Expiry Time")
	if strings.Contains(out, "Secret ID") {
		t.Errorf("info shows a secret line:\n%s", out)
	}

	// self sends the token given by -token (or APPMESH_TOKEN).
	out = mustRun(t, ui, "acl", "token", "self", "-token", "secret-2")
	wantAll(t, "self", out, "accessor-2", "management")
	if got := f.last(t).Token; got != "secret-2" {
		t.Errorf("self sent token %q", got)
	}
	t.Setenv("APPMESH_TOKEN", "secret-1")
	out = mustRun(t, ui, "acl", "token", "self", "-json")
	if !strings.Contains(out, `"accessor_id": "accessor-1"`) {
		t.Errorf("self from APPMESH_TOKEN:\n%s", out)
	}

	// update changes only what is given.
	out = mustRun(t, ui, "acl", "token", "update", "-name", "ci-2", "accessor-1")
	wantAll(t, "update", out, "ci-2", "readonly,logs", "ops")
	if tok := f.tokens["accessor-1"]; tok.Name != "ci-2" || len(tok.Policies) != 2 || len(tok.Roles) != 1 {
		t.Errorf("after -name: %+v", tok)
	}
	mustRun(t, ui, "acl", "token", "update", "-policy", "admin", "accessor-1")
	if tok := f.tokens["accessor-1"]; tok.Name != "ci-2" || strings.Join(tok.Policies, ",") != "admin" || len(tok.Roles) != 1 {
		t.Errorf("after -policy: %+v", tok)
	}
	if req := f.last(t); req.Method != "PUT" || req.Path != "/v1/acl/token/accessor-1" {
		t.Errorf("update sent %s %s", req.Method, req.Path)
	}

	mustRun(t, ui, "acl", "token", "delete", "accessor-1")
	if _, ok := f.tokens["accessor-1"]; ok {
		t.Error("token not deleted")
	}
	if code, _, stderr := runCmd(ui, "acl", "token", "update", "-name", "x", "accessor-1"); code != exitError ||
		!strings.Contains(stderr, "not found") {
		t.Errorf("update of a deleted token: exit %d %q", code, stderr)
	}
}

func TestACLRoleCommands(t *testing.T) {
	f, ui := newFakeACLAgent(t)
	out := mustRun(t, ui, "acl", "role", "create", "-name", "ops", "-description", "operators", "-policy", "readonly", "-policy", "nodes")
	wantAll(t, "create", out, "role-1", "ops", "operators", "readonly,nodes")
	if req := f.last(t); req.Method != "PUT" || req.Path != "/v1/acl/role" {
		t.Errorf("create sent %s %s", req.Method, req.Path)
	}

	out = mustRun(t, ui, "acl", "role", "list")
	wantAll(t, "list", out, "ID", "Name", "role-1", "ops", "readonly,nodes")

	out = mustRun(t, ui, "acl", "role", "info", "-by-name", "ops", "-json")
	var role structs.ACLRole
	if err := json.Unmarshal([]byte(out), &role); err != nil || role.ID != "role-1" {
		t.Fatalf("info -by-name -json: %v %s", err, out)
	}
	if p := f.last(t).Path; p != "/v1/acl/role/name/ops" {
		t.Errorf("info -by-name asked %s", p)
	}
	out = mustRun(t, ui, "acl", "role", "info", "role-1")
	wantAll(t, "info", out, "role-1", "operators")

	mustRun(t, ui, "acl", "role", "update", "-policy", "admin", "role-1")
	if r := f.roles["role-1"]; r.Name != "ops" || r.Description != "operators" || strings.Join(r.Policies, ",") != "admin" {
		t.Errorf("after update: %+v", r)
	}

	mustRun(t, ui, "acl", "role", "delete", "role-1")
	if len(f.roles) != 0 {
		t.Error("role not deleted")
	}
}

func TestNamespaceCommands(t *testing.T) {
	f, ui := newFakeACLAgent(t)
	out := mustRun(t, ui, "namespace", "apply", "-description", "production", "-meta", "team=web", "prod")
	wantAll(t, "apply", out, `Successfully applied namespace "prod"`)
	if ns := f.namespaces["prod"]; ns == nil || ns.Description != "production" || ns.Meta["team"] != "web" {
		t.Fatalf("stored %+v", ns)
	}
	// A second apply changes only what it is given.
	mustRun(t, ui, "namespace", "apply", "-description", "live", "prod")
	if ns := f.namespaces["prod"]; ns.Description != "live" || ns.Meta["team"] != "web" {
		t.Errorf("after the second apply: %+v", ns)
	}

	out = mustRun(t, ui, "namespace", "list")
	wantAll(t, "list", out, "Name", "default", "prod", "live")
	out = mustRun(t, ui, "namespace", "list", "-json")
	var list []*structs.Namespace
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 2 {
		t.Errorf("list -json: %v %s", err, out)
	}

	for _, sub := range []string{"status", "info"} {
		out = mustRun(t, ui, "namespace", sub, "prod")
		wantAll(t, sub, out, "prod", "live", "Meta team", "web")
	}

	mustRun(t, ui, "namespace", "delete", "prod")
	if _, ok := f.namespaces["prod"]; ok {
		t.Error("namespace not deleted")
	}
}

func TestNamespaceFlagAndEnvReachTheAgent(t *testing.T) {
	f, ui := newFakeACLAgent(t)
	mustRun(t, ui, "acl", "policy", "list", "-namespace", "prod")
	if ns := f.last(t).Namespace; ns != "prod" {
		t.Errorf("-namespace sent ?namespace=%q", ns)
	}
	t.Setenv("APPMESH_NAMESPACE", "dev")
	mustRun(t, ui, "namespace", "list")
	if ns := f.last(t).Namespace; ns != "dev" {
		t.Errorf("APPMESH_NAMESPACE sent ?namespace=%q", ns)
	}
	mustRun(t, ui, "namespace", "list", "-namespace", "prod")
	if ns := f.last(t).Namespace; ns != "prod" {
		t.Errorf("-namespace did not win over APPMESH_NAMESPACE: %q", ns)
	}
}

func TestPermissionDeniedExits1WithTheAgentsMessage(t *testing.T) {
	f, ui := newFakeACLAgent(t)
	f.deny = `Permission denied: token lacks "read" on ACL tokens`
	code, _, stderr := runCmd(ui, "acl", "token", "list")
	if code != exitError || !strings.Contains(stderr, f.deny) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestJobStatusNamespaceColumn(t *testing.T) {
	f, ui := newFakeCluster(t)
	f.write(func(index uint64) {
		for _, ns := range []string{"default", "prod"} {
			f.jobs[ns+"/web"] = &structs.Job{ID: "web", Namespace: ns, Type: structs.JobTypeService,
				Status: structs.JobStatusRunning, CreateIndex: index}
		}
	})
	out := mustRun(t, ui, "job", "status", "-namespace", "*")
	wantAll(t, "job status -namespace '*'", out, "Namespace", "default", "prod")
	if lines := strings.Count(out, "web"); lines != 2 {
		t.Errorf("want web twice:\n%s", out)
	}
	out = mustRun(t, ui, "job", "status")
	if strings.Contains(out, "Namespace") {
		t.Errorf("a Namespace column without -namespace '*':\n%s", out)
	}
}
