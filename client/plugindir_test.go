package client

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestClient_PluginDir builds the example third-party driver into a plugin
// directory next to a broken plugin: the example is launched, fingerprinted
// and offered; the broken one is reported unhealthy with its error, and
// the client runs on.
func TestClient_PluginDir(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("skipped: the go tool is needed to build the example driver plugin:", err)
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, PluginPrefix+"hello"), ".")
	build.Dir = filepath.Join("..", "drivers", "example")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build example driver: %v\n%s", err, out)
	}
	broken := "#!/bin/sh\necho 'this plugin is broken' >&2\nexit 3\n"
	if err := os.WriteFile(filepath.Join(dir, PluginPrefix+"broken"), []byte(broken), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "README"), []byte("not a plugin"), 0o644)

	srv := newTestServer(t)
	c, err := New(&Config{DataDir: t.TempDir(), RPC: srv, Logger: testLogger(t), PluginDir: dir, KillTasksOnShutdown: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()
	drivers := c.Node().Drivers
	if d := drivers["hello"]; d == nil || !d.Detected || !d.Healthy {
		t.Fatalf("hello plugin not offered: %+v", d)
	}
	d := drivers["broken"]
	if d == nil || d.Detected || d.Healthy || !strings.Contains(d.HealthDescription, "this plugin is broken") {
		t.Fatalf("broken plugin: want unhealthy with its error, got %+v", d)
	}
	if _, ok := drivers["README"]; ok {
		t.Fatal("a non-plugin file was taken for a driver")
	}
	if c.Node().Attributes["driver.hello"] != "1" {
		t.Fatalf("driver.hello attribute missing: %v", c.Node().Attributes)
	}
}
