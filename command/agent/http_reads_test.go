package agent

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// readBackend answers every list/get RPC with one object, or nil for the
// ID "missing".
func readBackend(b *fakeBackend) {
	meta := structs.QueryMeta{Index: 33, KnownLeader: true}
	b.on(structs.AllocListRPC, func(args, reply any) error {
		*reply.(*structs.AllocListResponse) = structs.AllocListResponse{
			Allocations: []*structs.AllocListStub{{ID: "alloc-1", TaskGroup: "web"}}, QueryMeta: meta}
		return nil
	})
	b.on(structs.AllocGetAllocRPC, func(args, reply any) error {
		out := reply.(*structs.SingleAllocResponse)
		if id := args.(*structs.AllocSpecificRequest).AllocID; id != "missing" {
			out.Alloc = &structs.Allocation{ID: id, TaskGroup: "web"}
		}
		out.QueryMeta = meta
		return nil
	})
	b.on(structs.NodeListRPC, func(args, reply any) error {
		*reply.(*structs.NodeListResponse) = structs.NodeListResponse{
			Nodes: []*structs.NodeListStub{{ID: "node-1", Status: "ready"}}, QueryMeta: meta}
		return nil
	})
	b.on(structs.NodeGetNodeRPC, func(args, reply any) error {
		out := reply.(*structs.SingleNodeResponse)
		if id := args.(*structs.NodeSpecificRequest).NodeID; id != "missing" {
			out.Node = &structs.Node{ID: id, Status: "ready"}
		}
		out.QueryMeta = meta
		return nil
	})
	b.on(structs.EvalListRPC, func(args, reply any) error {
		*reply.(*structs.EvalListResponse) = structs.EvalListResponse{
			Evaluations: []*structs.Evaluation{{ID: "eval-1", Status: "complete"}}, QueryMeta: meta}
		return nil
	})
	b.on(structs.EvalGetEvalRPC, func(args, reply any) error {
		out := reply.(*structs.SingleEvalResponse)
		if id := args.(*structs.EvalSpecificRequest).EvalID; id != "missing" {
			out.Eval = &structs.Evaluation{ID: id, Status: "complete"}
		}
		out.QueryMeta = meta
		return nil
	})
}

func TestReadEndpoints(t *testing.T) {
	b, h := newTestServer(t)
	readBackend(b)
	for _, tc := range []struct{ path, want string }{
		{"/v1/allocations", `[{"id":"alloc-1"`},
		{"/v1/allocation/alloc-9", `{"id":"alloc-9"`},
		{"/v1/nodes", `[{"id":"node-1"`},
		{"/v1/node/node-9", `{"id":"node-9"`},
		{"/v1/evaluations", `[{"id":"eval-1"`},
		{"/v1/evaluation/eval-9", `{"id":"eval-9"`},
	} {
		rec := do(t, h, "GET", tc.path, "")
		wantStatus(t, rec, 200)
		if !strings.HasPrefix(rec.Body.String(), tc.want) {
			t.Errorf("%s: body %s, want prefix %s", tc.path, rec.Body.String(), tc.want)
		}
		if rec.Header().Get(indexHeader) != "33" || rec.Header().Get(knownLeaderHeader) != "true" {
			t.Errorf("%s: headers %v", tc.path, rec.Header())
		}
	}
	for path, want := range map[string]string{
		"/v1/allocation/missing": `allocation "missing" not found`,
		"/v1/node/missing":       `node "missing" not found`,
		"/v1/evaluation/missing": `evaluation "missing" not found`,
	} {
		rec := do(t, h, "GET", path, "")
		wantStatus(t, rec, 404)
		if msg := errorOf(t, rec); msg != want {
			t.Errorf("%s: message %q, want %q", path, msg, want)
		}
	}
}

func TestQueryOptionsPassThrough(t *testing.T) {
	b, h := newTestServer(t)
	readBackend(b)
	rec := do(t, h, "GET", "/v1/allocations?index=5&wait=2s&stale&prefix=ab&namespace=prod", "")
	wantStatus(t, rec, 200)
	q := b.lastArgs(t, structs.AllocListRPC).(*structs.AllocListRequest).QueryOptions
	if q.MinQueryIndex != 5 || q.MaxQueryTime != 2*time.Second || !q.AllowStale || q.Prefix != "ab" || q.Namespace != "prod" {
		t.Errorf("query options = %+v", q)
	}

	do(t, h, "GET", "/v1/nodes?index=1&wait=1h", "")
	if got := b.lastArgs(t, structs.NodeListRPC).(*structs.NodeListRequest).MaxQueryTime; got != structs.MaxBlockingQueryTime {
		t.Errorf("wait not capped: %v", got)
	}

	for _, bad := range []string{"index=-1", "index=abc", "wait=soon", "stale=perhaps"} {
		rec := do(t, h, "GET", "/v1/evaluations?"+bad, "")
		wantStatus(t, rec, 400)
		errorOf(t, rec)
	}
}

// TestBlockingQuery holds the RPC until the test releases it, as a server
// does until the index moves, and checks the response waits for it.
func TestBlockingQuery(t *testing.T) {
	b, h := newTestServer(t)
	release := make(chan struct{})
	entered := make(chan *structs.EvalSpecificRequest, 1)
	b.on(structs.EvalGetEvalRPC, func(args, reply any) error {
		entered <- args.(*structs.EvalSpecificRequest)
		<-release
		out := reply.(*structs.SingleEvalResponse)
		out.Eval = &structs.Evaluation{ID: "e1", Status: "complete"}
		out.Index = 8
		return nil
	})
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- do(t, h, "GET", "/v1/evaluation/e1?index=7&wait=30s", "") }()

	args := <-entered
	if args.MinQueryIndex != 7 || args.MaxQueryTime != 30*time.Second {
		t.Fatalf("blocking options not passed: %+v", args.QueryOptions)
	}
	select {
	case rec := <-done:
		t.Fatalf("answered before the index moved: %d %s", rec.Code, rec.Body.String())
	default:
	}
	close(release)
	rec := <-done
	wantStatus(t, rec, 200)
	if rec.Header().Get(indexHeader) != "8" {
		t.Errorf("index header = %q, want 8", rec.Header().Get(indexHeader))
	}
}
