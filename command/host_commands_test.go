package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/command/agent"
	"github.com/hashicorp/go-hclog"
)

// TestHostCommands drives appmesh label, file and resource against a real
// dev agent (server and client).
func TestHostCommands(t *testing.T) {
	cfg := agent.DevConfig()
	cfg.Name = "host-cli"
	cfg.LogLevel = "ERROR"
	cfg.Ports.HTTP, cfg.Ports.RPC, cfg.Ports.Gossip = freePort(t), freePort(t), freePort(t)
	a, err := agent.NewAgent(cfg, hclog.New(&hclog.LoggerOptions{Level: hclog.Error, Output: os.Stderr}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Shutdown() })
	useAgent(t, a)

	waitFor(t, "label set", func() (bool, string) { // the node registers in the background
		code, _, stderr := cmd("label", "set", "zone", "blue")
		return code == 0, stderr
	})
	if code, out, stderr := cmd("label", "list"); code != 0 || kvValue(out, "zone") != "blue" {
		t.Errorf("label list: %d %q %s", code, out, stderr)
	}
	if code, out, stderr := cmd("label", "delete", "zone"); code != 0 || strings.Contains(out, "zone") {
		t.Errorf("label delete: %d %q %s", code, out, stderr)
	}
	if code, _, _ := cmd("label", "delete", "zone"); code != 1 {
		t.Errorf("label delete of a missing label: exit %d, want 1", code)
	}

	dir := t.TempDir()
	src := filepath.Join(dir, "src.sh")
	if err := os.WriteFile(src, []byte("#!/bin/sh\necho hi\n"), 0o750); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := cmd("file", "put", src, "scripts/hi.sh"); code != 0 {
		t.Fatalf("file put: %d %s %s", code, out, stderr)
	}
	dst := filepath.Join(dir, "back.sh")
	if code, out, stderr := cmd("file", "get", "scripts/hi.sh", dst); code != 0 {
		t.Fatalf("file get: %d %s %s", code, out, stderr)
	}
	if b, err := os.ReadFile(dst); err != nil || string(b) != "#!/bin/sh\necho hi\n" {
		t.Errorf("round trip: %q %v", b, err)
	}
	if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("round trip mode: %v %v, want 0750", fi, err)
	}
	if code, _, stderr := cmd("file", "get", "../../etc/passwd", filepath.Join(dir, "x")); code != 1 || !strings.Contains(stderr, "outside") {
		t.Errorf("file get ..: exit %d %s, want 1 naming the base directory", code, stderr)
	}

	code, out, stderr := cmd("resource")
	if code != 0 || kvValue(out, "cpu_processors") == "" || !strings.Contains(out, "mem_total_bytes") {
		t.Errorf("resource: %d %q %s", code, out, stderr)
	}
}
