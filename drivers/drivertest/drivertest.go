// Package drivertest is a conformance check for process drivers: the
// built-in ones use it, and a third-party driver can run it against its own
// implementation in its tests.
package drivertest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/appmesh/appmesh/drivers"
)

// RunProcessDriver checks the basics every process-running driver must get
// right: its name, capabilities, a healthy fingerprint with a version
// attribute, and one task that prints its argument and exits 0, with the
// output in the task's stdout file.
func RunProcessDriver(t *testing.T, d drivers.Driver, name string) {
	t.Helper()
	if d.Name() != name {
		t.Fatalf("Name = %q, want %q", d.Name(), name)
	}
	caps, err := d.Capabilities()
	// exec gives each task a root of its own; raw_exec shares the host's.
	wantFS := map[string]string{"exec": "chroot"}[name]
	if wantFS == "" {
		wantFS = "none"
	}
	if err != nil || !caps.SendSignals || !caps.Exec || caps.FSIsolation != wantFS {
		t.Fatalf("Capabilities = %+v, %v", caps, err)
	}
	fp, err := d.Fingerprint(context.Background())
	if err != nil || !fp.Healthy || fp.Attributes["driver."+name+".version"] == "" {
		t.Fatalf("Fingerprint = %+v, %v", fp, err)
	}
	dir := t.TempDir()
	cfg := &drivers.TaskConfig{
		ID:         "a/t",
		Config:     map[string]any{"command": "/bin/sh", "args": []any{"-c", "echo $0", name}},
		TaskDir:    dir,
		StdoutPath: filepath.Join(dir, "out"),
	}
	h, err := d.StartTask(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.DestroyTask(cfg.ID, true)
	if h.Driver != name {
		t.Fatalf("handle driver = %q, want %q", h.Driver, name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if res, err := d.WaitTask(ctx, cfg.ID); err != nil || !res.Successful() {
		t.Fatalf("WaitTask = %+v, %v", res, err)
	}
	if b, _ := os.ReadFile(cfg.StdoutPath); string(b) != name+"\n" {
		t.Fatalf("stdout = %q, want %q", b, name+"\n")
	}
}
