package client

import (
	"context"

	"github.com/appmesh/appmesh/drivers"
)

// ExecStream serves an interactive exec session (alloc exec -i/-t) in a
// local allocation's task: the session's frames travel on conn, which is
// closed when it returns. Every error, an unknown allocation or task
// included, reaches the far end as the session's last frame.
func (c *Client) ExecStream(ctx context.Context, allocID, task string, base drivers.ExecOptions, conn *drivers.FrameConn) {
	// ACL: a later phase checks the caller's alloc-exec capability on the
	// allocation's namespace before this point (at the HTTP endpoint).
	drivers.ServeExecFrames(ctx, conn, base, func(ctx context.Context, opts *drivers.ExecOptions) (*drivers.ExitResult, error) {
		ar, err := c.localRunner(allocID)
		if err != nil {
			return nil, err
		}
		c.logger.Info("interactive exec", "alloc_id", allocID, "task", task, "tty", opts.Tty)
		return ar.ExecStreaming(ctx, task, opts)
	})
}

// HasAlloc tells whether the allocation has a runner on this node.
func (c *Client) HasAlloc(allocID string) bool { return c.runner(allocID) != nil }
