package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// Scenario 5: bad input is rejected with a message naming the problem, and
// nothing is written.
func TestBadInput(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{dev: true})
	sec, marker := taskSleep(5)
	a.track(marker)
	// The jobs below say "sleep 7305"; each run uses its own marker.
	unique := func(s string) string { return strings.ReplaceAll(s, "sleep 7305", fmt.Sprintf("sleep %d", sec)) }

	before := a.request(http.MethodGet, "/v1/jobs", nil)
	if before.status != http.StatusOK {
		a.fatalf("GET /v1/jobs: status %d: %s", before.status, before.body)
	}

	// ---- job files through `job validate` and `job run` (exit 1) ----
	files := []struct {
		name, content string
		want          []string // substrings of stderr
		wantRe        string   // and a pattern, e.g. file:line
		notWant       string   // a misleading message that must not appear
	}{
		{
			name: "syntax.hcl",
			content: `job "bad" {
  group "g" {
    count = 1
    task "t" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args = ["-c", "exec sleep 7305"
      }
    }
  }
}
`,
			wantRe: `syntax\.hcl:(8|9)\b`,
		},
		{
			name: "unknown.hcl",
			content: `job "bad" {
  group "g" {
    count = 1
    task "t" {
      driver = "exec"
      bogus_field = 3
      config {
        command = "/bin/sh"
        args = ["-c", "exec sleep 7305"]
      }
    }
  }
}
`,
			want:   []string{"bogus_field"},
			wantRe: `unknown\.hcl:6\b`,
		},
		{
			name: "negative.hcl",
			content: `job "bad" {
  group "g" {
    count = -2
    task "t" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args = ["-c", "exec sleep 7305"]
      }
    }
  }
}
`,
			want: []string{"count must not be negative"},
		},
		{
			name: "nodriver.hcl",
			content: `job "bad" {
  group "g" {
    count = 1
    task "t" {
      config {
        command = "/bin/sh"
        args = ["-c", "exec sleep 7305"]
      }
    }
  }
}
`,
			want: []string{"driver is required"},
		},
		{
			name: "wrongtype.hcl",
			content: `job "bad" {
  group "g" {
    count = "two"
    task "t" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args = ["-c", "exec sleep 7305"]
      }
    }
  }
}
`,
			want:   []string{"count"},
			wantRe: `wrongtype\.hcl:3\b`,
		},
		{
			name: "unknown.json",
			content: `{"job": {
  "id": "bad",
  "groups": [{
    "name": "g",
    "bogus_field": 1,
    "tasks": [{"name": "t", "driver": "exec",
               "config": {"command": "/bin/sh", "args": ["-c", "exec sleep 7305"]}}]
  }]
}}
`,
			want:   []string{"bogus_field"},
			wantRe: `unknown\.json:5\b`,
		},
		{
			// A JSON job file in the PUT /v1/jobs form with a syntax error:
			// the message must point at the error, not claim that "job"
			// is an unknown field.
			name: "syntax.json",
			content: `{"job": {
  "id": "bad",
  "groups": [{
    "name": "g",
    "count": 1,,
    "tasks": [{"name": "t", "driver": "exec",
               "config": {"command": "/bin/sh", "args": ["-c", "exec sleep 7305"]}}]
  }]
}}
`,
			wantRe:  `syntax\.json:5\b`,
			notWant: `unknown field "job"`,
		},
	}
	for _, f := range files {
		path := writeFile(t, f.name, unique(f.content))
		for _, cmd := range []string{"job validate", "job run"} {
			var r cliResult
			if cmd == "job validate" {
				// validate needs no agent; it takes no -address.
				r = runCLI(t, "job", "validate", path)
			} else {
				r = a.cli(cmd, path)
			}
			if r.code != 1 {
				t.Errorf("%s %s: exit code %d, want 1\n%s", cmd, f.name, r.code, r)
			}
			for _, w := range f.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("%s %s: stderr does not mention %q\n%s", cmd, f.name, w, r)
				}
			}
			if f.wantRe != "" && !regexp.MustCompile(f.wantRe).MatchString(r.stderr) {
				t.Errorf("%s %s: stderr does not point at the place (%s)\n%s", cmd, f.name, f.wantRe, r)
			}
			if f.notWant != "" && strings.Contains(r.stderr, f.notWant) {
				t.Errorf("%s %s: stderr has the misleading %q\n%s", cmd, f.name, f.notWant, r)
			}
		}
	}

	// ---- usage errors (exit 2) ----
	for _, args := range [][]string{
		{"job", "run"},
		{"job", "run", "-no-such-flag", "x.hcl"},
		{"job", "run", "a.hcl", "b.hcl"},
		{"job", "validate"},
	} {
		full := append([]string{args[0], args[1], "-address", a.addr}, args[2:]...)
		if args[1] == "validate" {
			full = args
		}
		r := runCLI(t, full...)
		if r.code != 2 {
			t.Errorf("appmesh %s: exit code %d, want 2 (usage error)\n%s", strings.Join(full, " "), r.code, r)
		}
		if !strings.Contains(r.stderr, "Usage:") {
			t.Errorf("appmesh %s: stderr does not show the usage\n%s", strings.Join(full, " "), r)
		}
	}

	// ---- the HTTP API (400, 413) ----
	task := `{"name": "t", "driver": "exec", "config": {"command": "/bin/sh", "args": ["-c", "exec sleep 7305"]}}`
	bodies := []struct {
		name   string
		body   string
		status int
		want   []string
	}{
		{"an HCL job instead of JSON", "job \"bad\" {\n  group \"g\" {\n    count = 1\n  }\n}\n", 400, []string{"JSON"}},
		{"syntax error", "{\"job\": {\n  \"id\": \"bad\",\n  \"groups\": [{\"name\": \"g\",,\n}}\n", 400, []string{"JSON"}},
		{"unknown field", fmt.Sprintf("{\"job\": {\n  \"id\": \"bad\",\n  \"groups\": [{\n    \"name\": \"g\",\n    \"bogus_field\": 1,\n    \"tasks\": [%s]}]}}", task),
			400, []string{"bogus_field"}},
		{"unknown top-level field", fmt.Sprintf(`{"job": {"id": "bad", "groups": [{"name": "g", "tasks": [%s]}]}, "bogus_top": true}`, task),
			400, []string{"bogus_top"}},
		{"negative count", fmt.Sprintf(`{"job": {"id": "bad", "groups": [{"name": "g", "count": -1, "tasks": [%s]}]}}`, task),
			400, []string{"count must not be negative"}},
		{"missing driver", `{"job": {"id": "bad", "groups": [{"name": "g", "count": 1, "tasks": [{"name": "t", "config": {"command": "/bin/true"}}]}]}}`,
			400, []string{"driver is required"}},
		{"wrong type", fmt.Sprintf(`{"job": {"id": "bad", "groups": [{"name": "g", "count": "two", "tasks": [%s]}]}}`, task),
			400, []string{"count"}},
		{"no job", `{}`, 400, []string{"job"}},
		{"empty body", ``, 400, nil},
		{"10 MB body", `{"job": {"id": "bad", "meta": {"k": "` + strings.Repeat("a", 10<<20) + `"}}}`, 413, nil},
	}
	for _, b := range bodies {
		r := a.putJSON("/v1/jobs", []byte(unique(b.body)))
		what := "PUT /v1/jobs with " + b.name
		if r.status != b.status {
			t.Errorf("%s: status %d, want %d: %.300s", what, r.status, b.status, r.body)
			continue
		}
		msg := a.errorMessage(what, r)
		for _, w := range b.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: error %q does not mention %q", what, msg, w)
			}
		}
	}

	// ---- nothing was written ----
	after := a.request(http.MethodGet, "/v1/jobs", nil)
	if after.status != http.StatusOK || !bytes.Equal(bytes.TrimSpace(after.body), bytes.TrimSpace(before.body)) {
		t.Errorf("GET /v1/jobs changed after bad input:\nbefore: %s\nafter:  %d %s", before.body, after.status, after.body)
	}
	if after.index() != before.index() {
		t.Errorf("GET /v1/jobs: X-Appmesh-Index moved from %d to %d: something was written", before.index(), after.index())
	}
	var evals []evaluation
	a.getJSON("/v1/evaluations", &evals)
	if len(evals) != 0 {
		t.Errorf("GET /v1/evaluations: want none after bad input only, got %d", len(evals))
	}
	if ps := findProcs(marker); len(ps) != 0 {
		t.Errorf("a task of a rejected job runs: %s", describeProcs(ps))
	}
}
