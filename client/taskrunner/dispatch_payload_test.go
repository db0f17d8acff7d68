package taskrunner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// dispatch_payload's file puts the payload at local/<file>, creating its
// directories, and not at local/payload; a name leaving local/ is refused.
func TestPayloadHookDispatchPayloadFile(t *testing.T) {
	dir := t.TempDir()
	h := &payloadHook{payload: []byte("cfg\n"), file: "conf/input.json"}
	if err := h.Prestart(context.Background(), &drivers.TaskConfig{TaskDir: dir, StdoutPath: filepath.Join(dir, "web.stdout.0")}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "local", "conf", "input.json")); err != nil || string(b) != "cfg\n" {
		t.Fatalf("payload file %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, PayloadFile)); !os.IsNotExist(err) {
		t.Fatalf("local/payload written as well (%v)", err)
	}
	bad := &payloadHook{payload: []byte("x"), file: "../../escape"}
	err := bad.Prestart(context.Background(), &drivers.TaskConfig{TaskDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "leaves the task's local/ directory") {
		t.Fatalf("escaping file: %v", err)
	}
}

// A task with dispatch_payload reads its payload from local/<file>.
func TestDispatchPayloadFileReachesTask(t *testing.T) {
	out := runPayloadTask(t, &structs.Task{
		DispatchPayload: &structs.DispatchPayloadConfig{File: "input.txt"},
		Config: map[string]any{"command": "/bin/sh", "args": []any{"-c",
			`echo "file:$(cat local/input.txt)"; [ -e local/payload ] && echo default-too; true`}},
	}, "the-input")
	if !strings.Contains(out, "file:the-input") || strings.Contains(out, "default-too") {
		t.Fatalf("task output %q: want the payload in local/input.txt only", out)
	}
}
