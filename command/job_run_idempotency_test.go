package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// job run -idempotency-token against a real agent: the retry prints the
// first evaluation and "Existing"; the same token with another spec fails
// with a conflict.
func TestJobRunIdempotencyTokenOnRealAgent(t *testing.T) {
	a, _ := startServerAgent(t, "runidem1", true, 1)
	useAgent(t, a)
	dir := t.TempDir()
	write := func(name, cmdLine string) string {
		path := filepath.Join(dir, name)
		src := `job "once" {
  type = "batch"
  group "g" {
    task "t" {
      driver = "exec"
      config { command = "` + cmdLine + `" }
    }
  }
}
`
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	path := write("once.hcl", "/bin/true")
	code, first, stderr := cmd("job", "run", "-detach", "-idempotency-token", "deploy-1", path)
	if code != 0 || strings.Contains(first, "Existing") || !strings.Contains(first, "Evaluation ID: ") {
		t.Fatalf("first run: exit %d %q %s", code, first, stderr)
	}
	code, again, stderr := cmd("job", "run", "-detach", "-idempotency-token", "deploy-1", path)
	if code != 0 || !strings.Contains(again, "Existing") || evalLine(again) != evalLine(first) {
		t.Fatalf("retry: exit %d %q (first %q) %s", code, again, first, stderr)
	}
	other := write("other.hcl", "/bin/false")
	code, _, stderr = cmd("job", "run", "-detach", "-idempotency-token", "deploy-1", other)
	if code != 1 || !strings.Contains(stderr, "another specification") {
		t.Fatalf("token reused with another spec: exit %d %s", code, stderr)
	}
}

func evalLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "Evaluation ID: ") {
			return line
		}
	}
	return ""
}
