package agent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/appmesh/appmesh/server/stream"
	"github.com/appmesh/appmesh/transport"
)

// eventRunner writes an opened event stream to w until it ends; flush is
// called when the stream goes idle.
type eventRunner = func(ctx context.Context, w io.Writer, flush func()) error

// OpenEvents subscribes to the servers' event stream: in-process when this
// agent runs a server, otherwise through a server over the RPC transport.
// Errors (bad topic, permission denied, an index older than the buffer)
// come back before anything is written.
func (a *Agent) OpenEvents(ctx context.Context, req *transport.EventsRequest) (eventRunner, error) {
	if a.server != nil {
		es, err := a.server.OpenEventStream(req)
		if err != nil {
			return nil, err
		}
		return es.Run, nil
	}
	if a.remote == nil {
		return nil, errors.New("this agent runs no server and reaches none")
	}
	return a.remote.openEvents(ctx, req)
}

// openEvents asks a server for its event stream.
func (r *serverRPC) openEvents(ctx context.Context, req *transport.EventsRequest) (eventRunner, error) {
	addr := r.pick()
	if addr == "" {
		return nil, errors.New("no servers known")
	}
	st, err := r.pool.OpenStream(ctx, addr, transport.StreamEvents)
	if err != nil {
		return nil, fmt.Errorf("open event stream on %s: %w", addr, err)
	}
	if err := transport.WriteEventsRequest(st, req); err != nil {
		st.Close()
		return nil, fmt.Errorf("send event stream request: %w", err)
	}
	out, err := transport.ReadStreamStatus(st)
	if err != nil {
		st.Close()
		return nil, err
	}
	if req.Gzip {
		// A server from before compressed streams ignores Gzip and sends
		// plain lines: look at the first byte (a compressing server sends
		// its gzip header at once) so the caller is told what it gets.
		br := bufio.NewReader(out)
		stop := context.AfterFunc(ctx, func() { st.Close() })
		first, err := br.Peek(1)
		stop()
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("read event stream: %w", err)
		}
		req.Gzip = stream.IsGzip(first[0])
		out = br
	}
	return func(ctx context.Context, w io.Writer, flush func()) error {
		defer st.Close()
		stop := transport.CloseOnDone(ctx, st)
		defer stop()
		// Whatever arrives is passed on at once: plain lines, or a gzip
		// stream (req.Gzip) that only the caller decodes.
		buf := make([]byte, 32<<10)
		for {
			n, err := out.Read(buf)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return werr
				}
				flush()
			}
			if err != nil {
				if errors.Is(err, io.EOF) || ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("read event stream: %w", err)
			}
		}
	}, nil
}
