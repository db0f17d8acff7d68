package taskrunner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/appmesh/appmesh/drivers"
)

// PayloadFile is where a dispatched job's payload appears, relative to the
// task's working directory.
const PayloadFile = "local/payload"

// payloadHook writes a dispatched job's payload into the task directory
// before the task starts (the task reads it from local/payload).
type payloadHook struct{ payload []byte }

func (h *payloadHook) Name() string { return "dispatch_payload" }

func (h *payloadHook) Prestart(_ context.Context, cfg *drivers.TaskConfig) error {
	if len(h.payload) == 0 {
		return nil
	}
	path := filepath.Join(cfg.TaskDir, PayloadFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write dispatch payload: %w", err)
	}
	if err := os.WriteFile(path, h.payload, 0o644); err != nil {
		return fmt.Errorf("write dispatch payload: %w", err)
	}
	return nil
}
