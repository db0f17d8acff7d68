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

// eventSubscribers opens n event streams (every topic, every namespace) on
// the cluster's HTTP API and drains them, as n dashboards would, until ctx
// ends. With -event-subscribers 100 the placement rate shows whether the
// stream slows plans. It returns the bytes read so far and a wait func.
func eventSubscribers(ctx context.Context, httpURL string, n int) (*atomic.Int64, func(), error) {
	var read atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, httpURL+"/v1/event/stream?topic=*&namespace=*", nil)
		if err != nil {
			return nil, nil, err
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
			n, _ := io.Copy(io.Discard, resp.Body)
			read.Add(n)
		}()
	}
	return &read, wg.Wait, nil
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
