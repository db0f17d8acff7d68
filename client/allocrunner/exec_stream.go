package allocrunner

import (
	"context"

	"github.com/appmesh/appmesh/drivers"
)

// ExecStreaming runs an interactive command in one task of the allocation
// (task may be empty for a one-task allocation).
func (ar *AllocRunner) ExecStreaming(ctx context.Context, task string, opts *drivers.ExecOptions) (*drivers.ExitResult, error) {
	tr, err := ar.taskRunner(task)
	if err != nil {
		return nil, err
	}
	return tr.ExecStreaming(ctx, opts)
}
