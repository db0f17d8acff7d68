package client

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// RPCer is how the client talks to the servers: in-process today, over the
// network later. method is one of the structs.*RPC names; args and reply
// are pointers to the matching request and response types.
type RPCer interface {
	RPC(method string, args any, reply any) error
}

// ContextRPCer is an RPCer whose calls can be cancelled. The client uses it
// when available so that Shutdown does not wait for a blocking query.
type ContextRPCer interface {
	RPCContext(ctx context.Context, method string, args any, reply any) error
}

// rpc calls method, returning early with ctx.Err() when ctx ends. With a
// plain RPCer the call itself cannot be cancelled: it then finishes in a
// helper goroutine that lives at most as long as the call (a blocking query
// ends after its MaxQueryTime) and whose reply is never read.
func (c *Client) rpc(ctx context.Context, method string, args, reply any) error {
	// With ACLs on, the servers accept the node's own credential on the
	// calls a client makes for the allocations placed on it.
	if tc, ok := args.(interface {
		RequestToken() string
		SetRequestToken(string)
	}); ok && tc.RequestToken() == "" && c.secretID != "" {
		tc.SetRequestToken(structs.NodeCredential(c.nodeID, c.secretID))
	}
	if cr, ok := c.rpcer.(ContextRPCer); ok {
		return cr.RPCContext(ctx, method, args, reply)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- c.rpcer.RPC(method, args, reply) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// backoff grows a retry delay from min to max, with jitter so that many
// clients that lost the same server do not retry in lockstep.
type backoff struct {
	min, max time.Duration
	cur      time.Duration
}

func newBackoff(min, max time.Duration) *backoff { return &backoff{min: min, max: max} }

// next returns the delay before the next attempt.
func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else {
		b.cur = min(b.cur*2, b.max)
	}
	return jitter(b.cur, 0.25)
}

// reset is called after a success.
func (b *backoff) reset() { b.cur = 0 }

// jitter returns d shifted randomly by up to ±frac of d.
func jitter(d time.Duration, frac float64) time.Duration {
	delta := (rand.Float64()*2 - 1) * frac * float64(d)
	return d + time.Duration(delta)
}

// signIdentities asks the servers for the workload identities of one task
// of an allocation placed on this node.
func (c *Client) signIdentities(ctx context.Context, allocID, task string) ([]*structs.SignedIdentity, error) {
	req := &structs.SignIdentitiesRequest{NodeID: c.nodeID, SecretID: c.secretID, AllocID: allocID, Task: task}
	var reply structs.SignIdentitiesResponse
	if err := c.rpc(ctx, structs.NodeSignIdentitiesRPC, req, &reply); err != nil {
		return nil, err
	}
	return reply.Identities, nil
}
