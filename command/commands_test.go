package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mitchellh/cli"
)

const goodJobJSON = `{"job": {"id": "hello", "type": "service", "groups": [{"name": "web", "count": 2, "tasks": [
  {"name": "server", "driver": "exec",
   "config": {"command": "/bin/sh", "args": ["-c", "echo hello; exec sleep 3600"]},
   "resources": {"cpu": 100, "memory": 64}}]}]}}`

const goodJobHCL = `
job "hello" {
  type = "service"
  group "web" {
    count = 2
    task "server" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo hello; exec sleep 3600"]
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`

// A task without a driver: parses, but does not validate.
const invalidJobJSON = `{"job": {"id": "hello", "groups": [{"name": "web", "tasks": [{"name": "server"}]}]}}`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUsageErrorsExit2(t *testing.T) {
	_, _ = newFakeCluster(t)
	for _, args := range [][]string{
		{"job", "run"},
		{"job", "run", "-bogus", "x.hcl"},
		{"job", "run", "a.hcl", "b.hcl"},
		{"job", "run", "-timeout", "0s", "a.hcl"},
		{"job", "status", "a", "b"},
		{"job", "stop"},
		{"job", "inspect"},
		{"job", "validate"},
		{"alloc", "status"},
		{"alloc", "logs"},
		{"alloc", "logs", "-n", "0", "abc"},
		{"alloc", "logs", "a", "b", "c"},
		{"node", "status", "a", "b"},
		{"version", "extra"},
		{"job"},
		{"job", "frobnicate"},
		{"no-such-command"},
	} {
		code, _, stderr := runCmd(cli.NewMockUi(), args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want 2; stderr %s", args, code, stderr)
		}
		if !strings.Contains(stderr, "Usage") && !strings.Contains(stderr, "usage") {
			t.Errorf("%v: no help printed: %q", args, stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCmd(cli.NewMockUi(), "version")
	if code != 0 || !strings.HasPrefix(out, "appmesh v0.1.0") {
		t.Fatalf("exit %d, output %q", code, out)
	}
}

func TestJobValidate(t *testing.T) {
	for _, tc := range []struct {
		name, file, content string
		code                int
		want                string
	}{
		{"json", "ok.json", goodJobJSON, 0, "Job validation successful"},
		{"hcl", "ok.hcl", goodJobHCL, 0, "Job validation successful"},
		{"invalid", "bad.json", invalidJobJSON, 1, `group "web": task "server": driver is required`},
		{"unparsable", "broken.hcl", "job \"x\" {\n  group {\n", 1, "Error parsing job file"},
		{"missing", "", "", 1, "Error parsing job file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "does-not-exist.hcl")
			if tc.file != "" {
				path = writeFile(t, tc.file, tc.content)
			}
			code, out, stderr := runCmd(cli.NewMockUi(), "job", "validate", path)
			if code != tc.code || !strings.Contains(out+stderr, tc.want) {
				t.Fatalf("exit %d (want %d); stdout %q; stderr %q; want %q", code, tc.code, out, stderr, tc.want)
			}
		})
	}
}
