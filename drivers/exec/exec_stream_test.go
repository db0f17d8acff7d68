package exec_test

import (
	"context"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/drivertest"
	"github.com/appmesh/appmesh/drivers/exec"
)

// An interactive command of an exec task runs in the task's cgroup, as the
// task's user, in its directory and with its environment, on a terminal
// that user owns.
func TestExecStreamingInTaskContext(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a task as another user")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	d := exec.New(hclog.NewNullLogger())
	if fp, _ := d.Fingerprint(context.Background()); fp == nil || !fp.Healthy {
		t.Skipf("exec driver unhealthy here: %+v", fp)
	}
	// t.TempDir's parent is private to root: the task's user could not
	// enter its directory.
	dir, err := os.MkdirTemp("", "appmesh-exec-stream-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := &drivers.TaskConfig{
		ID: "xs/web", AllocID: "xs", TaskName: "web", User: "nobody",
		Config:  map[string]any{"command": "/bin/sh", "args": []any{"-c", "exec sleep 60"}},
		Env:     map[string]string{"GREETING": "from-the-task"},
		TaskDir: dir, StdoutPath: filepath.Join(dir, "out"), StderrPath: filepath.Join(dir, "err"),
	}
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatal(err)
	}
	defer d.DestroyTask(cfg.ID, true)
	var out drivertest.SyncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := d.(drivers.ExecStreamer).ExecTaskStreaming(ctx, cfg.ID, &drivers.ExecOptions{
		Command: []string{"/bin/sh", "-c", `cat /proc/self/cgroup; echo uid=$(id -u) pwd=$(pwd) greeting=$GREETING; ls -ln $(tty)`},
		Tty:     true, Stdout: &out,
	})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("ExecTaskStreaming = %+v, %v; output %q", res, err, out.String())
	}
	got := out.String()
	for _, want := range []string{"xs-web", "uid=" + nobody.Uid, "pwd=" + dir, "greeting=from-the-task", " " + nobody.Uid + " "} {
		if !strings.Contains(got, want) {
			t.Errorf("output does not contain %q:\n%s", want, got)
		}
	}
}
