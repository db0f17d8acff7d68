package client

import (
	"context"
	"fmt"
	"io"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// WriteStdin copies r into the standard input of a task started with a
// stdin FIFO (drivers.StdinFIFOPath in the allocation's log directory) and
// closes it at the end of r, which gives the task end of file. It waits for
// the task to create its FIFO; it returns when r ends, when the task is
// gone (the rest of r is not read), or when ctx is done.
func (c *Client) WriteStdin(ctx context.Context, allocID, task string, r io.Reader) error {
	ar := c.runner(allocID)
	if ar == nil {
		return fmt.Errorf("allocation %q is not running on this node: %w", allocID, structs.ErrNotFound)
	}
	if _, ok := ar.TaskState(task); !ok {
		return fmt.Errorf("allocation %q has no task %q: %w", allocID, task, structs.ErrNotFound)
	}
	path := drivers.StdinFIFOPath(ar.AllocDir().LogDir, task)
	return drivers.WriteStdinFIFO(ctx, path, r, func() bool { return c.taskDead(allocID, task) })
}
