package server

import (
	"context"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// A blocking read whose caller went away (a closed browser tab, an agent
// shutting down its HTTP API) ends at once instead of holding its wait:
// before, an agent with an open UI tab hit its 5 s shutdown deadline.
func TestServer_BlockingQueryEndsWithCaller(t *testing.T) {
	s := testServer(t, nil)
	var first structs.JobListResponse
	if err := s.RPC(structs.JobListRPC, &structs.JobListRequest{}, &first); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		var reply structs.JobListResponse
		req := &structs.JobListRequest{QueryOptions: structs.QueryOptions{MinQueryIndex: first.Index, MaxQueryTime: structs.MaxBlockingQueryTime}}
		req.SetQueryContext(ctx)
		done <- s.RPC(structs.JobListRPC, req, &reply)
	}()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("cancelled blocking query: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("a blocking query went on after its caller's context ended")
	}
}
