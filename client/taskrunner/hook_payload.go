package taskrunner

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// PayloadFile is where a dispatched job's payload appears, relative to the
// task's working directory, when the task has no dispatch_payload block.
const PayloadFile = "local/" + structs.DefaultPayloadFile

// payloadHook gives a dispatched job's payload to the task twice: as a
// file under local/ in its directory (dispatch_payload's file, or
// payload), and on its standard input.
type payloadHook struct {
	payload []byte
	task    string
	// file is the payload's path relative to local/ (Task.PayloadFile,
	// validated not to leave it); "" means structs.DefaultPayloadFile.
	file  string
	stdin string // the task's stdin FIFO, known once Prestart ran
}

func (h *payloadHook) Name() string { return "dispatch_payload" }

func (h *payloadHook) Prestart(_ context.Context, cfg *drivers.TaskConfig) error {
	if len(h.payload) == 0 {
		return nil
	}
	file := h.file
	if file == "" {
		file = structs.DefaultPayloadFile
	}
	local := filepath.Join(cfg.TaskDir, "local")
	path := filepath.Join(local, filepath.FromSlash(file))
	if rel, err := filepath.Rel(local, path); err != nil || !filepath.IsLocal(rel) {
		// Validation refuses such names; this guards older stored jobs.
		return fmt.Errorf("write dispatch payload: file %q leaves the task's local/ directory", file)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write dispatch payload: %w", err)
	}
	if err := os.WriteFile(path, h.payload, 0o644); err != nil {
		return fmt.Errorf("write dispatch payload: %w", err)
	}
	cfg.Stdin = true
	h.stdin = drivers.StdinFIFOPath(filepath.Dir(cfg.StdoutPath), h.task)
	return nil
}

// payloadStdinTimeout bounds how long the payload waits for the task's
// stdin to appear.
const payloadStdinTimeout = time.Minute

// Poststart feeds the payload to the task's stdin in the background; the
// task sees end of file after it (a payload is at most 16 KiB, below a
// pipe's buffer, so the write does not wait for the task to read). The
// write ends with the task runner's context, or after payloadStdinTimeout.
func (h *payloadHook) Poststart(ctx context.Context, _ *drivers.TaskHandle) error {
	if h.stdin == "" {
		return nil
	}
	path, payload := h.stdin, h.payload
	go func() {
		ctx, cancel := context.WithTimeout(ctx, payloadStdinTimeout)
		defer cancel()
		_ = drivers.WriteStdinFIFO(ctx, path, bytes.NewReader(payload), func() bool { return false })
	}()
	return nil
}
