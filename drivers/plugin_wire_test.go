package drivers_test

import (
	"context"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// recorder is a Driver that keeps what crossed the wire.
type recorder struct {
	drivers.Driver // nil: methods the test does not use panic
	cfg            *drivers.TaskConfig
	handle         *drivers.TaskHandle
}

func (r *recorder) Name() string { return "recorder" }
func (r *recorder) StartTask(cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	r.cfg = cfg
	return &drivers.TaskHandle{ID: cfg.ID, Driver: "recorder", Config: cfg, PID: 42,
		StartedAt: time.Unix(1700000000, 5).UTC(), DriverState: []byte{0, 1, 2}}, nil
}
func (r *recorder) RecoverTask(h *drivers.TaskHandle) error { r.handle = h; return nil }
func (r *recorder) WaitTask(context.Context, string) (*drivers.ExitResult, error) {
	return &drivers.ExitResult{ExitCode: 1, Signal: 9, OOMKilled: true, Err: "boom"}, nil
}

// wireDriver connects a real net/rpc client and server over a pipe.
func wireDriver(t *testing.T, impl drivers.Driver) drivers.Driver {
	client, _ := plugin.TestPluginRPCConn(t, plugin.PluginSet{
		drivers.PluginName: &drivers.DriverPlugin{Impl: impl},
	}, nil)
	raw, err := client.Dispense(drivers.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	return raw.(drivers.Driver)
}

// TestWireKeepsNestedConfig sends a task config of nested lists and maps,
// which gob alone could not carry without type registration.
func TestWireKeepsNestedConfig(t *testing.T) {
	rec := &recorder{}
	d := wireDriver(t, rec)
	if d.Name() != "recorder" {
		t.Fatalf("Name = %q", d.Name())
	}
	cfg := &drivers.TaskConfig{
		ID: "a/t",
		Config: map[string]any{
			"command": "/bin/app",
			"args":    []any{"-x", 1.5, true, nil},
			"mounts":  []any{map[string]any{"target": "/data", "opts": map[string]any{"ro": true}}},
		},
		Env:       map[string]string{"K": "V"},
		User:      "nobody",
		Resources: &structs.Resources{CPU: 100, MemoryMB: 64},
	}
	h, err := d.StartTask(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rec.cfg, cfg) {
		t.Fatalf("plugin got %#v\nwant %#v", rec.cfg, cfg)
	}
	if !reflect.DeepEqual(h.Config, cfg) || h.PID != 42 || string(h.DriverState) != "\x00\x01\x02" ||
		!h.StartedAt.Equal(time.Unix(1700000000, 5)) {
		t.Fatalf("handle came back as %+v", h)
	}
	if err := d.RecoverTask(h); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rec.handle.Config, cfg) || rec.handle.PID != 42 {
		t.Fatalf("recover got %+v", rec.handle)
	}
	res, err := d.WaitTask(context.Background(), "a/t")
	want := drivers.ExitResult{ExitCode: 1, Signal: 9, OOMKilled: true, Err: "boom"}
	if err != nil || *res != want {
		t.Fatalf("WaitTask = %+v, %v", res, err)
	}
}

func TestLaunchRejectsNonPlugin(t *testing.T) {
	_, _, err := drivers.Launch(exec.Command("/bin/sh", "-c", "echo not a plugin"), hclog.NewNullLogger())
	if err == nil || !strings.Contains(err.Error(), "starting driver plugin") {
		t.Fatalf("Launch of a non-plugin = %v", err)
	}
}
