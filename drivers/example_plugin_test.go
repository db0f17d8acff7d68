package drivers_test

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/drivers"
)

// TestExampleDriverPlugin builds the example third-party driver (its own Go
// module under drivers/example) like a user would, and drives the binary
// through drivers.Launch end to end.
func TestExampleDriverPlugin(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "appmesh-driver-hello")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = "example"
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building drivers/example: %v\n%s", err, out)
	}
	d, client, err := drivers.Launch(exec.Command(bin), hclog.NewNullLogger())
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	defer client.Kill()
	if d.Name() != "hello" {
		t.Fatalf("Name = %q", d.Name())
	}
	fp, err := d.Fingerprint(context.Background())
	if err != nil || !fp.Healthy || fp.Attributes["driver.hello.version"] == "" {
		t.Fatalf("Fingerprint = %+v, %v", fp, err)
	}
	dir := t.TempDir()
	cfg := &drivers.TaskConfig{
		ID: "alloc1/greeter", AllocID: "alloc1", TaskName: "greeter", TaskDir: dir,
		Config:     map[string]any{"message": "hello from a plugin", "interval": "20ms"},
		StdoutPath: filepath.Join(dir, "greeter.stdout.0"),
	}
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(cfg.StdoutPath)
		if strings.Count(string(b), "hello from a plugin\n") >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stdout = %q, want the message three times", b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := d.ExecTask(cfg.ID, []string{"true"}, time.Second); err == nil {
		t.Error("ExecTask succeeded on a driver without exec")
	}
	// The example predates interactive exec: the host answers for it.
	_, err = d.(drivers.ExecStreamer).ExecTaskStreaming(context.Background(), cfg.ID,
		&drivers.ExecOptions{Command: []string{"true"}, Stdout: io.Discard, Stderr: io.Discard})
	if !errors.Is(err, drivers.ErrExecStreamingUnsupported) || !strings.Contains(err.Error(), "driver hello does not support interactive exec") {
		t.Errorf("ExecTaskStreaming on the example driver = %v, want ErrExecStreamingUnsupported", err)
	}
	if err := d.StopTask(cfg.ID, time.Second, ""); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if res, err := d.WaitTask(ctx, cfg.ID); err != nil || !res.Successful() {
		t.Fatalf("WaitTask = %+v, %v", res, err)
	}
	if err := d.DestroyTask(cfg.ID, false); err != nil {
		t.Fatalf("DestroyTask: %v", err)
	}
	if _, err := d.InspectTask(cfg.ID); !errors.Is(err, drivers.ErrTaskNotFound) {
		t.Fatalf("InspectTask after destroy = %v, want ErrTaskNotFound", err)
	}
	if _, err := d.StartTask(&drivers.TaskConfig{ID: "a/b", Config: map[string]any{"colour": "red"}}); err == nil || !strings.Contains(err.Error(), `unknown key "colour"`) {
		t.Fatalf("bad config = %v", err)
	}
}
