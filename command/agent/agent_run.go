package agent

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/appmesh/appmesh/server"

	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/transport"
)

// WriteStdin sends r as a task's standard input: into the local client
// when the allocation is here, otherwise through this agent's server to
// the client that runs it.
func (a *Agent) WriteStdin(ctx context.Context, allocID, task string, r io.Reader) error {
	if a.client != nil {
		err := a.client.WriteStdin(ctx, allocID, task, r)
		if err == nil || !structs.IsNotFound(err) || !a.isRemoteAlloc(ctx, allocID) {
			return err
		}
	}
	if a.server != nil {
		return a.server.StreamClientStdin(ctx, allocID, task, r)
	}
	if a.remote == nil {
		return errors.New("this agent runs no client and reaches no server")
	}
	req := &transport.LogsRequest{AllocID: allocID, Task: task, Type: transport.LogTypeStdin}
	return a.remote.forwardStdin(ctx, req, r)
}

// runGCAfter reads server.run_gc_after; invalid or empty means the default
// (Config.Validate reports an invalid value).
func runGCAfter(s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return server.DefaultRunGCAfter
	}
	return d
}

// WriteStdin lets the server feed the stdin of this agent's own tasks.
func (l localClient) WriteStdin(ctx context.Context, allocID, task string, r io.Reader) error {
	return l.a.client.WriteStdin(ctx, allocID, task, r)
}

// forwardStdin asks a server to send r to the allocation's node.
func (r *serverRPC) forwardStdin(ctx context.Context, req *transport.LogsRequest, in io.Reader) error {
	addr := r.pick()
	if addr == "" {
		return errors.New("no servers known")
	}
	st, err := r.pool.OpenStream(ctx, addr, transport.StreamForward)
	if err != nil {
		return err
	}
	defer st.Close()
	return transport.SendStdin(ctx, st, req, in)
}
