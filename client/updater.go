package client

import (
	"context"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/structs"
)

// updater sends allocation status changes to the servers. It batches by
// load rather than by a timer: when no call is in flight a change goes out
// at once; while one is in flight, changes pile up (latest state per
// allocation wins) and all go in the next call. A failed batch is put back
// under any newer state, so the latest state is never lost.
type updater struct {
	logger hclog.Logger
	send   func(ctx context.Context, batch []*structs.AllocStatusUpdate) error

	mu      sync.Mutex
	pending map[string]*structs.AllocStatusUpdate
	// notify has room for one wake-up; more are redundant.
	notify chan struct{}
}

func newUpdater(logger hclog.Logger, send func(context.Context, []*structs.AllocStatusUpdate) error) *updater {
	return &updater{
		logger:  logger,
		send:    send,
		pending: map[string]*structs.AllocStatusUpdate{},
		notify:  make(chan struct{}, 1),
	}
}

// put queues the latest state of one allocation. It never blocks.
func (u *updater) put(up *structs.AllocStatusUpdate) {
	u.mu.Lock()
	u.pending[up.ID] = up
	u.mu.Unlock()
	u.poke()
}

func (u *updater) poke() {
	select {
	case u.notify <- struct{}{}:
	default:
	}
}

// take empties the queue.
func (u *updater) take() []*structs.AllocStatusUpdate {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.pending) == 0 {
		return nil
	}
	batch := make([]*structs.AllocStatusUpdate, 0, len(u.pending))
	for _, up := range u.pending {
		batch = append(batch, up)
	}
	clear(u.pending)
	return batch
}

// requeue puts back a batch that was not delivered, unless a newer state
// of the same allocation arrived meanwhile.
func (u *updater) requeue(batch []*structs.AllocStatusUpdate) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, up := range batch {
		if _, newer := u.pending[up.ID]; !newer {
			u.pending[up.ID] = up
		}
	}
}

// run sends batches until ctx ends.
func (u *updater) run(ctx context.Context) {
	b := newBackoff(retryMin, retryMax)
	for {
		select {
		case <-ctx.Done():
			return
		case <-u.notify:
		}
		batch := u.take()
		if len(batch) == 0 {
			continue
		}
		if err := u.send(ctx, batch); err != nil {
			u.requeue(batch)
			if ctx.Err() != nil {
				return
			}
			d := b.next()
			u.logger.Warn("cannot send allocation updates; retrying", "allocs", len(batch), "error", err, "retry_in", d)
			if !ctxsleep.Sleep(ctx, d) {
				return
			}
			u.poke()
			continue
		}
		b.reset()
	}
}

// flush sends whatever is queued once, synchronously.
func (u *updater) flush(ctx context.Context) error {
	batch := u.take()
	if len(batch) == 0 {
		return nil
	}
	if err := u.send(ctx, batch); err != nil {
		u.requeue(batch)
		return err
	}
	return nil
}

// sendUpdates is the updater's transport: one Node.UpdateAlloc call.
func (c *Client) sendUpdates(ctx context.Context, batch []*structs.AllocStatusUpdate) error {
	req := &structs.AllocUpdateRequest{Allocs: batch, NodeID: c.nodeID, SecretID: c.secretID}
	var resp structs.GenericResponse
	return c.rpc(ctx, structs.NodeUpdateAllocRPC, req, &resp)
}
