package taskrunner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/rawexec"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

func TestPayloadHookWritesTheFile(t *testing.T) {
	dir := t.TempDir()
	h := &payloadHook{payload: []byte("input\n")}
	if err := h.Prestart(context.Background(), &drivers.TaskConfig{TaskDir: dir, StdoutPath: filepath.Join(dir, "web.stdout.0")}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, PayloadFile))
	if err != nil || string(b) != "input\n" {
		t.Fatalf("payload file %q, %v", b, err)
	}
	empty := t.TempDir()
	if err := (&payloadHook{}).Prestart(context.Background(), &drivers.TaskConfig{TaskDir: empty}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(empty, PayloadFile)); !os.IsNotExist(err) {
		t.Fatalf("a job without payload got a payload file (%v)", err)
	}
}

// A dispatched task reads its payload from the file and from stdin.
func TestPayloadReachesFileAndStdin(t *testing.T) {
	out := runPayloadTask(t, &structs.Task{
		Config: map[string]any{"command": "/bin/sh", "args": []any{"-c",
			`echo "file:$(cat local/payload)"; echo "stdin:$(cat)"`}},
	}, "the-input")
	if !strings.Contains(out, "file:the-input") || !strings.Contains(out, "stdin:the-input") {
		t.Fatalf("task output %q: want the payload from the file and from stdin", out)
	}
}

// runPayloadTask runs task (named web, raw_exec, no restarts) of a batch
// allocation dispatched with payload until it ends, and returns its stdout.
func runPayloadTask(t *testing.T, task *structs.Task, payload string) string {
	t.Helper()
	logger := hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: testWriter{t}})
	alloc := &structs.Allocation{ID: structs.GenerateID(), JobID: "job", TaskGroup: "group"}
	dir, err := allocdir.New(t.TempDir(), alloc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := dir.Build(); err != nil {
		t.Fatal(err)
	}
	task.Name, task.Driver, task.KillTimeout = "web", rawexec.Name, structs.Duration(2*time.Second)
	zero := 0
	tr, err := New(&Config{Alloc: alloc, Task: task, AllocDir: dir, Drivers: oneDriver{rawexec.New(logger)},
		Logger: logger, Payload: []byte(payload), JobType: structs.JobTypeBatch,
		Restart: &structs.RestartPolicy{Attempts: &zero}})
	if err != nil {
		t.Fatal(err)
	}
	runAsync(t, tr)
	waitDone(t, tr, 60*time.Second)
	out, _ := os.ReadFile(dir.LogPath("web", allocdir.LogStdout))
	return string(out)
}
