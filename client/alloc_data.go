package client

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/client/allocrunner"
	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/transport"
)

// maxAllocDataBytes bounds the data one allocation hands to its
// replacement on another node when its group gives no ephemeral_disk size.
const maxAllocDataBytes = 1 << 30

// remotePrevious is the previous allocation of an ephemeral_disk migrate
// replacement when it ran on another node: its data is fetched through the
// servers, which check this node's secret and that alloc replaces it.
func (c *Client) remotePrevious(alloc *structs.Allocation, tg *structs.TaskGroup) *allocrunner.PreviousAlloc {
	if c.cfg.FetchAllocData == nil {
		c.logger.Info("ephemeral_disk migrate: this client cannot reach other nodes' data; starting without it",
			"alloc_id", alloc.ID, "previous_alloc", alloc.PreviousAllocation)
		return nil
	}
	limit := int64(maxAllocDataBytes)
	if tg.EphemeralDisk.SizeMB > 0 {
		limit = int64(tg.EphemeralDisk.SizeMB) << 20
	}
	req := transport.LogsRequest{AllocID: alloc.PreviousAllocation, Type: transport.LogTypeAllocData,
		NodeID: c.nodeID, NodeSecret: c.secretID, ForAlloc: alloc.ID}
	return &allocrunner.PreviousAlloc{
		ID:    alloc.PreviousAllocation,
		Limit: limit,
		Fetch: func(ctx context.Context, w io.Writer) error {
			r := req
			return c.cfg.FetchAllocData(ctx, &r, w)
		},
	}
}

// StreamAllocData writes the allocation's alloc/data and its tasks'
// local/ directories as a tar stream (allocdir.WriteData), for its
// replacement on another node. The servers relay the request only from
// that replacement's node. While the allocation still runs here (its stop
// is on its way) the data waits for its tasks to end, until ctx ends.
func (c *Client) StreamAllocData(ctx context.Context, allocID string, w io.Writer) error {
	if ar := c.runner(allocID); ar != nil {
		select {
		case <-ar.WaitCh():
		case <-ctx.Done():
			return fmt.Errorf("allocation %s did not stop in time: %w", allocID, ctx.Err())
		}
	}
	dir, err := allocdir.New(c.cfg.DataDir, allocID)
	if err != nil {
		return fmt.Errorf("allocation %q: %w", allocID, structs.ErrNotFound)
	}
	if _, err := os.Stat(dir.Dir); err != nil {
		return fmt.Errorf("allocation %q is not on this node (or was garbage collected): %w", allocID, structs.ErrNotFound)
	}
	n, err := dir.WriteData(w, maxAllocDataBytes)
	if err != nil {
		return fmt.Errorf("send the data of allocation %s: %w", allocID, err)
	}
	c.logger.Info("sent an allocation's data to its replacement's node", "alloc_id", allocID, "bytes", n)
	return nil
}
