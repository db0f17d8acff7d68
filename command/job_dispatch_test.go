package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// job dispatch -idempotency-token against a real agent: the retry prints
// the first child and "Existing", the same token with other meta fails.
func TestJobDispatchIdempotencyTokenOnRealAgent(t *testing.T) {
	a, _ := startServerAgent(t, "disp1", true, 1)
	useAgent(t, a)
	path := filepath.Join(t.TempDir(), "report.hcl")
	src := `job "report" {
  type = "batch"
  parameterized {
    meta_optional = ["user"]
  }
  group "g" {
    task "t" {
      driver = "exec"
      config { command = "/bin/true" }
    }
  }
}
`
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cmd("job", "run", "-detach", path); code != 0 {
		t.Fatalf("job run: exit %d: %s", code, stderr)
	}
	code, first, stderr := cmd("job", "dispatch", "-idempotency-token", "nightly-1", "-meta", "user=ann", "report")
	if code != 0 || strings.Contains(first, "Existing") {
		t.Fatalf("first dispatch: exit %d %q %s", code, first, stderr)
	}
	code, again, stderr := cmd("job", "dispatch", "-idempotency-token", "nightly-1", "-meta", "user=ann", "report")
	if code != 0 || !strings.Contains(again, "Existing") || headLine(again) != headLine(first) {
		t.Fatalf("retry: exit %d %q (first %q) %s", code, again, first, stderr)
	}
	code, _, stderr = cmd("job", "dispatch", "-idempotency-token", "nightly-1", "-meta", "user=bob", "report")
	if code != 1 || !strings.Contains(stderr, "other meta or payload") {
		t.Fatalf("token reused with other meta: exit %d %s", code, stderr)
	}
}

func headLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
