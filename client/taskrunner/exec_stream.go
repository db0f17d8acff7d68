package taskrunner

import (
	"context"
	"fmt"

	"github.com/appmesh/appmesh/drivers"
)

// ExecStreaming runs an interactive command in the running task (alloc
// exec -i/-t) through its driver.
func (tr *TaskRunner) ExecStreaming(ctx context.Context, opts *drivers.ExecOptions) (*drivers.ExitResult, error) {
	if len(opts.Command) == 0 || opts.Command[0] == "" {
		return nil, fmt.Errorf("invalid: no command to run")
	}
	drv, err := tr.running()
	if err != nil {
		// Not the caller's fault as such, but nothing to retry blindly
		// either: report it as bad input, with the task's state.
		return nil, fmt.Errorf("invalid: %w", err)
	}
	streamer, ok := drv.(drivers.ExecStreamer)
	if !ok {
		return nil, fmt.Errorf("task %q: driver %s %w", tr.task.Name, tr.task.Driver, drivers.ErrExecStreamingUnsupported)
	}
	return streamer.ExecTaskStreaming(ctx, tr.TaskID(), opts)
}
