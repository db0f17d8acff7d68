package taskrunner

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/appmesh/appmesh/drivers"
)

func TestPayloadHookWritesTheFile(t *testing.T) {
	dir := t.TempDir()
	h := &payloadHook{payload: []byte("input\n")}
	if err := h.Prestart(context.Background(), &drivers.TaskConfig{TaskDir: dir}); err != nil {
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
