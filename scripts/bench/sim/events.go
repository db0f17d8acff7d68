package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/appmesh/appmesh/transport"
)

// eventOptions say how the simulated subscribers read the stream.
type eventOptions struct {
	// full asks for whole allocations instead of summaries.
	full bool
	// encoding: "gzip" drains the compressed bytes as they come off the
	// wire, as remote dashboards' sockets would (their decoding is their
	// CPU, not the servers'); "decode" decompresses in this process, as
	// a Go client does; "identity" asks for plain lines.
	encoding string
}

// subscriberStats counts what the subscribers read and how many of their
// streams ended before the run did: the server ends a subscriber's stream
// when it falls more than the buffer behind (lagged), and a run whose
// subscribers were dropped measured fewer of them than it says.
type subscriberStats struct {
	read  atomic.Int64
	early atomic.Int64
}

// eventSubscribers opens n event streams (every topic, every namespace) on
// the cluster's HTTP API and drains them, as n dashboards would, until ctx
// ends. With -event-subscribers 100 the placement rate shows whether the
// stream slows plans. It returns the running counts and a wait func.
func eventSubscribers(ctx context.Context, httpURL string, n int, o eventOptions) (*subscriberStats, func(), error) {
	st := &subscriberStats{}
	var wg sync.WaitGroup
	url := httpURL + "/v1/event/stream?topic=*&namespace=*"
	if o.full {
		url += "&full=true"
	}
	for i := 0; i < n; i++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, nil, err
		}
		switch o.encoding {
		case "gzip":
			// Set by hand, the transport leaves the body compressed.
			req.Header.Set("Accept-Encoding", "gzip")
		case "identity":
			req.Header.Set("Accept-Encoding", "identity")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, nil, fmt.Errorf("event subscriber %d: %w", i, err)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, nil, fmt.Errorf("event subscriber %d: status %d", i, resp.StatusCode)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer resp.Body.Close()
			_, _ = io.Copy(countingDiscard{&st.read}, resp.Body)
			if ctx.Err() == nil {
				st.early.Add(1)
			}
		}()
	}
	return st, wg.Wait, nil
}

// countingDiscard drops what it is given and counts it as it comes, so
// that the bytes read so far can be asked for during the run.
type countingDiscard struct{ n *atomic.Int64 }

func (c countingDiscard) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return len(p), nil
}

// OpenEvents serves the event stream from the in-process server, as an
// agent with a server does.
func (b *backend) OpenEvents(_ context.Context, req *transport.EventsRequest) (func(context.Context, io.Writer, func()) error, error) {
	es, err := b.srv.OpenEventStream(req)
	if err != nil {
		return nil, err
	}
	return es.Run, nil
}
