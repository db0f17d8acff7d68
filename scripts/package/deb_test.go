// Package debpkg tests the .deb that `make package` builds
// (scripts/package/deb.sh): its metadata and contents with dpkg-deb, the
// default configuration with the agent's own loader, and a real install,
// start and removal with dpkg in a container.
package debpkg

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/command/agent"
)

// repoRoot is the repository's root (this file is scripts/package/).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// appmeshBinary is $APPMESH_BIN (set by `make test`) or a fresh build.
func appmeshBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("APPMESH_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "appmesh")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/appmesh/appmesh")
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// run runs a command with a time limit and returns its combined output.
func run(t *testing.T, timeout time.Duration, stdin []byte, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// buildDeb runs scripts/package/deb.sh as `make package` does and returns
// the package's path.
func buildDeb(t *testing.T, bin string) string {
	t.Helper()
	out, err := run(t, 5*time.Minute, nil, filepath.Join(repoRoot(t), "scripts", "package", "deb.sh"), bin, t.TempDir())
	if err != nil {
		t.Fatalf("deb.sh: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	deb := lines[len(lines)-1]
	if !strings.HasSuffix(deb, ".deb") {
		t.Fatalf("deb.sh did not print the package's path:\n%s", out)
	}
	return deb
}

func TestDebPackage(t *testing.T) {
	bin := appmeshBinary(t)
	deb := buildDeb(t, bin)
	versionOut, err := run(t, time.Minute, nil, bin, "version")
	if err != nil {
		t.Fatalf("appmesh version: %v\n%s", err, versionOut)
	}
	version := regexp.MustCompile(`appmesh v(\S+)`).FindStringSubmatch(versionOut)
	if version == nil {
		t.Fatalf("appmesh version printed %q", versionOut)
	}

	info, err := run(t, time.Minute, nil, "dpkg-deb", "--info", deb)
	if err != nil {
		t.Fatalf("dpkg-deb --info: %v\n%s", err, info)
	}
	for _, want := range []string{"Package: appmesh", "Version: " + version[1], "Architecture: ", "conffiles", "postinst", "prerm"} {
		if !strings.Contains(info, want) {
			t.Errorf("dpkg-deb --info lacks %q:\n%s", want, info)
		}
	}
	conffiles, err := run(t, time.Minute, nil, "dpkg-deb", "--info", deb, "conffiles")
	if err != nil || strings.TrimSpace(conffiles) != "/etc/appmesh.d/appmesh.hcl" {
		t.Errorf("conffiles: %q (%v), want /etc/appmesh.d/appmesh.hcl", conffiles, err)
	}
	contents, err := run(t, time.Minute, nil, "dpkg-deb", "--contents", deb)
	if err != nil {
		t.Fatalf("dpkg-deb --contents: %v\n%s", err, contents)
	}
	for _, want := range []string{
		"-rwxr-xr-x root/root .* ./usr/bin/appmesh$",
		"-rw-r--r-- root/root .* ./usr/lib/systemd/system/appmesh.service$",
		"-rw-r--r-- root/root .* ./etc/appmesh.d/appmesh.hcl$",
	} {
		if !regexp.MustCompile("(?m)" + want).MatchString(contents) {
			t.Errorf("dpkg-deb --contents has no line matching %q:\n%s", want, contents)
		}
	}
	checkUnit(t)
	checkDefaultConfig(t)
	installInContainer(t, deb, version[1])
}

// checkUnit checks the settings the unit must keep: reload by SIGHUP,
// tasks outliving the agent, restarts on failure, a raised fd limit.
func checkUnit(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "dist", "systemd", "appmesh.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Type=notify", "NotifyAccess=main", "ExecStart=/usr/bin/appmesh agent -config /etc/appmesh.d/appmesh.hcl",
		"ExecReload=/bin/kill -HUP $MAINPID", "KillMode=process", "Restart=on-failure",
		"LimitNOFILE=65536", "WantedBy=multi-user.target",
	} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(want) + `$`).Match(b) {
			t.Errorf("appmesh.service lacks the line %q", want)
		}
	}
}

// checkDefaultConfig loads dist/appmesh.hcl as the agent does at start.
func checkDefaultConfig(t *testing.T) {
	t.Helper()
	cfg := agent.DefaultConfig()
	if err := agent.LoadConfigFile(filepath.Join(repoRoot(t), "dist", "appmesh.hcl"), cfg); err != nil {
		t.Fatalf("dist/appmesh.hcl: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("dist/appmesh.hcl does not validate: %v", err)
	}
	if cfg.DataDir != "/var/lib/appmesh" || cfg.BindAddr != "127.0.0.1" || !cfg.Server.Enabled || !cfg.Client.Enabled {
		t.Errorf("dist/appmesh.hcl: data_dir %q bind %q server %v client %v, want /var/lib/appmesh, 127.0.0.1, both on",
			cfg.DataDir, cfg.BindAddr, cfg.Server.Enabled, cfg.Client.Enabled)
	}
}
