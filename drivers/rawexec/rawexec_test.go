package rawexec_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/rawexec"
)

func TestDriver(t *testing.T) {
	d := rawexec.New(hclog.NewNullLogger())
	if d.Name() != "raw_exec" {
		t.Fatalf("Name = %q", d.Name())
	}
	caps, err := d.Capabilities()
	if err != nil || !caps.SendSignals || !caps.Exec || caps.FSIsolation != "none" {
		t.Fatalf("Capabilities = %+v, %v", caps, err)
	}
	fp, err := d.Fingerprint(context.Background())
	if err != nil || !fp.Healthy || fp.Attributes["driver.raw_exec.version"] == "" {
		t.Fatalf("Fingerprint = %+v, %v", fp, err)
	}
	dir := t.TempDir()
	cfg := &drivers.TaskConfig{
		ID:         "a/t",
		Config:     map[string]any{"command": "/bin/sh", "args": []any{"-c", "echo $0", "raw_exec"}},
		TaskDir:    dir,
		StdoutPath: filepath.Join(dir, "out"),
	}
	h, err := d.StartTask(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.DestroyTask(cfg.ID, true)
	if h.Driver != "raw_exec" {
		t.Fatalf("handle driver = %q", h.Driver)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if res, err := d.WaitTask(ctx, cfg.ID); err != nil || !res.Successful() {
		t.Fatalf("WaitTask = %+v, %v", res, err)
	}
	if b, _ := os.ReadFile(cfg.StdoutPath); string(b) != "raw_exec\n" {
		t.Fatalf("stdout = %q", b)
	}
}
