package command

import (
	"strings"
	"testing"
)

// TestIntentionCLI drives intention create, list, check and delete against
// a real agent (without ACLs: the default policy allows).
func TestIntentionCLI(t *testing.T) {
	a, _ := startServerAgent(t, "intentions", true, 1)
	useAgent(t, a)
	t.Setenv("APPMESH_NAMESPACE", "")
	waitFor(t, "the agent answers intention list", func() (bool, string) {
		code, out, stderr := cmd("intention", "list")
		return code == 0, out + stderr
	})

	code, out, stderr := cmd("intention", "check", "web", "api")
	if code != 0 || !strings.Contains(out, "Allowed: default/web => default/api allowed by the default policy") ||
		!strings.Contains(out, "allow because ACLs are disabled") {
		t.Fatalf("check before any intention: exit %d: %s %s", code, out, stderr)
	}
	code, out, stderr = cmd("intention", "create", "-deny", "-description", "no calls", "web", "api")
	if code != 0 || !strings.Contains(out, "Created intention ") || !strings.Contains(out, "default/web => default/api (deny)") {
		t.Fatalf("create: exit %d: %s %s", code, out, stderr)
	}
	id := strings.Fields(strings.TrimPrefix(out, "Created intention "))[0]
	id = strings.TrimSuffix(id, ":")

	code, out, stderr = cmd("intention", "check", "web", "api")
	if code != exitUsage || !strings.Contains(out, "Denied: default/web => default/api denied by intention "+id) {
		t.Fatalf("check after deny: exit %d (want 2): %s %s", code, out, stderr)
	}
	// Creating the same pair again fails without -replace and names it.
	code, _, stderr = cmd("intention", "create", "-allow", "web", "api")
	if code != exitError || !strings.Contains(stderr, "already exists (ID "+id+")") || !strings.Contains(stderr, "-replace") {
		t.Fatalf("second create: exit %d: %s", code, stderr)
	}
	t.Logf("second create: %s", stderr)
	code, out, stderr = cmd("intention", "create", "-allow", "-replace", "web", "api")
	if code != 0 || !strings.Contains(out, "Replaced intention "+id) {
		t.Fatalf("create -replace: exit %d: %s %s", code, out, stderr)
	}
	if code, out, _ = cmd("intention", "create", "-allow", "-replace", "web", "api"); code != 0 || !strings.Contains(out, "Unchanged intention "+id) {
		t.Fatalf("the same intention again: exit %d: %s", code, out)
	}
	// A wildcard deny is less precise than the exact allow.
	if code, out, stderr = cmd("intention", "create", "-deny", "*", "api"); code != 0 {
		t.Fatalf("create * => api: exit %d: %s %s", code, out, stderr)
	}
	if code, out, _ = cmd("intention", "check", "web", "api"); code != 0 {
		t.Fatalf("exact allow over wildcard deny: exit %d: %s", code, out)
	}
	if code, out, _ = cmd("intention", "check", "db", "api"); code != exitUsage || !strings.Contains(out, "default/* => default/api") {
		t.Fatalf("db => api under the wildcard deny: exit %d: %s", code, out)
	}

	code, out, stderr = cmd("intention", "list")
	t.Logf("list:\n%s", out)
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, `Default policy of namespace "default": allow`) {
		t.Fatalf("list: exit %d: %s %s", code, out, stderr)
	}
	if row := tableRow(out, id); len(row) < 5 || row[1] != "default/web" || row[2] != "allow" || row[4] != "9" {
		t.Fatalf("list row of %s: %q in\n%s", id, row, out)
	}

	// Usage errors: no action, both actions, a bad name.
	for _, args := range [][]string{{"intention", "create", "web", "api"}, {"intention", "create", "-allow", "-deny", "web", "api"},
		{"intention", "create", "-allow", "a/b/c", "api"}} {
		if code, _, stderr := cmd(args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2: %s", args, code, stderr)
		}
	}
	if code, _, stderr = cmd("intention", "create", "-allow", "Web_1", "api"); code != exitError || !strings.Contains(stderr, `service name "Web_1" is invalid`) {
		t.Errorf("create with a bad service name: exit %d: %s", code, stderr)
	}

	// Delete by source and destination, then by ID.
	if code, out, stderr = cmd("intention", "delete", "*", "api"); code != 0 || !strings.Contains(out, "Deleted intention default/* => default/api") {
		t.Fatalf("delete by pair: exit %d: %s %s", code, out, stderr)
	}
	if code, out, stderr = cmd("intention", "delete", id); code != 0 {
		t.Fatalf("delete by ID: exit %d: %s %s", code, out, stderr)
	}
	if code, _, stderr = cmd("intention", "delete", id); code != exitError || !strings.Contains(stderr, "not found") {
		t.Fatalf("second delete: exit %d: %s", code, stderr)
	}
	if code, out, _ = cmd("intention", "list"); code != 0 || !strings.Contains(out, "No intentions") {
		t.Fatalf("list after delete: exit %d: %s", code, out)
	}

	// The namespace's default policy, set by namespace apply.
	if code, out, stderr = cmd("namespace", "apply", "-mesh-default-action=deny", "default"); code != 0 {
		t.Fatalf("namespace apply: exit %d: %s %s", code, out, stderr)
	}
	code, out, _ = cmd("intention", "check", "web", "api")
	if code != exitUsage || !strings.Contains(out, "denied by the default policy") || !strings.Contains(out, "its mesh_default_action") {
		t.Fatalf("check with mesh_default_action deny: exit %d: %s", code, out)
	}
	if code, _, stderr = cmd("namespace", "apply", "-mesh-default-action=maybe", "default"); code != exitError ||
		!strings.Contains(stderr, `mesh_default_action "maybe" is invalid`) {
		t.Fatalf("namespace apply with a bad action: exit %d: %s", code, stderr)
	}
	if code, out, _ = cmd("namespace", "status", "default"); code != 0 || !strings.Contains(out, "Mesh Default Action = deny") {
		t.Fatalf("namespace status: exit %d: %s", code, out)
	}
}

// TestSplitApplyCLI applies a split file (one-line blocks as in the docs),
// reads it back, refuses a bad file with the line of the problem, and
// deletes it.
func TestSplitApplyCLI(t *testing.T) {
	a, _ := startServerAgent(t, "splits", true, 1)
	client := useAgent(t, a)
	t.Setenv("APPMESH_NAMESPACE", "")
	good := writeFile(t, "split.hcl", `
split "api" {
  namespace = "default"
  subset "v1" { tags = ["v1"]  weight = 90 }
  subset "v2" { job_version = 3  weight = 10 }
  route { path_prefix = "/beta"  headers = { "x-canary" = "1" }  subset = "v2"  retries = 2  timeout = "3s" }
}
`)
	waitFor(t, "the agent applies the split", func() (bool, string) {
		code, out, stderr := cmd("mesh", "split", "apply", good)
		return code == 0 && strings.Contains(out, "Applied split of default/api: v1=90% v2=10%"), out + stderr
	})
	sp, _, err := client.Splits().Info("default", "api", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.Subsets) != 2 || sp.Subsets[1].JobVersion == nil || *sp.Subsets[1].JobVersion != 3 || len(sp.Routes) != 1 ||
		sp.Routes[0].Headers["x-canary"] != "1" || sp.Routes[0].Timeout.Std().String() != "3s" || sp.Routes[0].Retries != 2 {
		t.Fatalf("stored split: %+v, route %+v", sp, sp.Routes)
	}
	code, out, stderr := cmd("mesh", "split", "info", "api")
	if code != 0 || !strings.Contains(out, "/beta") || tableRow(out, "v2") == nil {
		t.Fatalf("info: exit %d: %s %s", code, out, stderr)
	}

	// An unknown argument is an error at its line; nothing is written.
	bad := writeFile(t, "bad.hcl", `split "web" {
  subset "v1" {
    weight = 100
    colour = "blue"
  }
}
`)
	code, _, stderr = cmd("mesh", "split", "apply", bad)
	if code != exitError || !strings.Contains(stderr, "bad.hcl:4") || !strings.Contains(stderr, `"colour" is not expected`) {
		t.Fatalf("bad file: exit %d: %s", code, stderr)
	}
	t.Logf("bad file: %s", stderr)
	// Weights that do not add up: refused before any write, file named.
	bad2 := writeFile(t, "weights.json", `{"service":"web","subsets":[{"name":"a","weight":60},{"name":"b","weight":60}]}`)
	code, _, stderr = cmd("mesh", "split", "apply", bad2)
	if code != exitError || !strings.Contains(stderr, "weights.json: split \"web\"") || !strings.Contains(stderr, "add up to 120") {
		t.Fatalf("bad weights: exit %d: %s", code, stderr)
	}
	bad3 := writeFile(t, "unknown.json", `{"service":"web","subsets":[{"name":"a","weight":100,"colour":"blue"}]}`)
	if code, _, stderr = cmd("mesh", "split", "apply", bad3); code != exitError || !strings.Contains(stderr, "colour") {
		t.Fatalf("unknown JSON field: exit %d: %s", code, stderr)
	}
	if code, out, _ = cmd("mesh", "split", "list"); code != 0 || tableRow(out, "api") == nil || tableRow(out, "web") != nil {
		t.Fatalf("list: exit %d: %s", code, out)
	}
	if code, out, stderr = cmd("mesh", "split", "delete", "api"); code != 0 {
		t.Fatalf("delete: exit %d: %s %s", code, out, stderr)
	}
	if code, out, _ = cmd("mesh", "split", "list"); code != 0 || !strings.Contains(out, "No splits") {
		t.Fatalf("list after delete: exit %d: %s", code, out)
	}
}
