package state

import (
	"context"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// jobQuery is the shape an RPC endpoint's query takes.
func jobQuery(id string) QueryFn {
	return func(ws memdb.WatchSet, s *StateStore) (any, uint64, error) {
		j, err := s.JobByID(ws, "default", id)
		if err != nil {
			return nil, 0, err
		}
		idx, err := s.MaxIndex(TableJobs)
		return j, idx, err
	}
}

type queryResult struct {
	resp  any
	index uint64
	err   error
}

func runQuery(ctx context.Context, s *StateStore, min uint64, fn QueryFn) <-chan queryResult {
	ch := make(chan queryResult, 1)
	go func() {
		r, i, err := s.BlockingQuery(ctx, min, fn)
		ch <- queryResult{r, i, err}
	}()
	return ch
}

func TestBlockingQueryWakesOnWrite(t *testing.T) {
	s := testStore(t)
	must(t, s.UpsertJob(5, 1, mockJob("web")))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// minIndex below the current index: no blocking.
	_, idx, err := s.BlockingQuery(ctx, 4, jobQuery("web"))
	if err != nil || idx != 5 {
		t.Fatalf("non-blocking query: index %d err %v", idx, err)
	}

	ch := runQuery(ctx, s, 5, jobQuery("web"))
	// A write elsewhere does not wake a query on "web" ...
	must(t, s.UpsertNode(6, mockNode("n1")))
	select {
	case r := <-ch:
		t.Fatalf("query returned on an unrelated write: %+v", r)
	case <-time.After(50 * time.Millisecond):
	}
	// ... a write to the job does.
	j := mockJob("web")
	j.Groups[0].Count = 9
	must(t, s.UpsertJob(7, 2, j))
	select {
	case r := <-ch:
		if r.err != nil || r.index != 7 || r.resp.(*structs.Job).Groups[0].Count != 9 {
			t.Fatalf("woken query: index %d err %v", r.index, r.err)
		}
	case <-ctx.Done():
		t.Fatal("blocking query did not wake on a write")
	}
}

func TestBlockingQueryContextDone(t *testing.T) {
	s := testStore(t)
	must(t, s.UpsertJob(5, 1, mockJob("web")))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	resp, idx, err := s.BlockingQuery(ctx, 5, jobQuery("web"))
	if err != nil {
		t.Fatalf("timed-out query returned an error: %v", err)
	}
	if idx != 5 || resp.(*structs.Job).ID != "web" {
		t.Fatalf("timed-out query: index %d resp %v", idx, resp)
	}
	if ctx.Err() == nil {
		t.Fatal("query returned before the context ended")
	}
}

func TestBlockingQueryFollowsRestore(t *testing.T) {
	old := testStore(t)
	must(t, old.UpsertJob(5, 1, mockJob("web")))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch := runQuery(ctx, old, 5, jobQuery("web"))

	next := testStore(t)
	j := mockJob("web")
	j.Groups[0].Count = 4
	must(t, next.UpsertJob(20, 1, j))
	old.AbandonTo(next)
	select {
	case r := <-ch:
		if r.err != nil || r.index != 20 || r.resp.(*structs.Job).Groups[0].Count != 4 {
			t.Fatalf("query after restore: index %d err %v", r.index, r.err)
		}
	case <-ctx.Done():
		t.Fatal("blocking query did not move to the new store")
	}

	// Abandoned without a successor: the query answers at once.
	lone := testStore(t)
	lone.Abandon()
	lone.Abandon() // idempotent
	_, idx, err := lone.BlockingQuery(ctx, 100, jobQuery("web"))
	if err != nil || idx != 0 || ctx.Err() != nil {
		t.Fatalf("abandoned store: index %d err %v", idx, err)
	}
}
