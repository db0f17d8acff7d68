package builtin_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/builtin"
)

// servePluginEnv makes the re-executed test binary act like
// `appmesh driver-plugin <name>`.
const servePluginEnv = "APPMESH_BUILTIN_TEST_PLUGIN"

func TestMain(m *testing.M) {
	if name := os.Getenv(servePluginEnv); name != "" {
		if err := builtin.ServePlugin(name); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestNames(t *testing.T) {
	if got := builtin.Names(); !reflect.DeepEqual(got, []string{"docker", "exec", "raw_exec"}) {
		t.Fatalf("Names = %v", got)
	}
}

func TestNewUnknown(t *testing.T) {
	_, err := builtin.New("docker2", nil)
	if err == nil || !strings.Contains(err.Error(), `unknown built-in driver "docker2"`) {
		t.Fatalf("New(docker2) = %v", err)
	}
}

// TestServePlugin runs every built-in driver as a real plugin subprocess
// through the same entry point main.go uses, and runs a task through it.
func TestServePlugin(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range builtin.Names() {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(exe)
			cmd.Env = append(os.Environ(), servePluginEnv+"="+name)
			d, client, err := drivers.Launch(cmd, hclog.NewNullLogger())
			if err != nil {
				t.Fatalf("Launch: %v", err)
			}
			defer client.Kill()
			if d.Name() != name {
				t.Fatalf("Name = %q, want %q", d.Name(), name)
			}
			fp, err := d.Fingerprint(context.Background())
			if err != nil || !fp.Healthy || fp.Attributes["driver."+name+".version"] == "" {
				t.Fatalf("Fingerprint = %+v, %v", fp, err)
			}
			if name == "docker" {
				return // runs images, not host commands: drivers/docker tests run its tasks
			}
			dir := t.TempDir()
			cfg := &drivers.TaskConfig{
				ID:         "a/" + name,
				Config:     map[string]any{"command": "/bin/echo", "args": []any{"hi", name}},
				TaskDir:    dir,
				StdoutPath: filepath.Join(dir, "out"),
			}
			if _, err := d.StartTask(cfg); err != nil {
				t.Fatal(err)
			}
			defer d.DestroyTask(cfg.ID, true)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if res, err := d.WaitTask(ctx, cfg.ID); err != nil || !res.Successful() {
				t.Fatalf("WaitTask = %+v, %v", res, err)
			}
			if b, _ := os.ReadFile(cfg.StdoutPath); string(b) != "hi "+name+"\n" {
				t.Fatalf("stdout = %q", b)
			}
		})
	}
}

func TestServePluginUnknown(t *testing.T) {
	if err := builtin.ServePlugin("nope"); err == nil {
		t.Fatal("ServePlugin(nope) succeeded")
	}
}
