package server

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func updates(n int, prefix string) []*structs.AllocStatusUpdate {
	out := make([]*structs.AllocStatusUpdate, n)
	for i := range out {
		out[i] = &structs.AllocStatusUpdate{ID: fmt.Sprintf("%s-%d", prefix, i), ClientStatus: structs.AllocClientRunning}
	}
	return out
}

// Calls that arrive while a write is in flight go out together in the next
// entry, every call learns the index of the entry that carried it, and no
// entry exceeds the bound.
func TestAllocUpdateBatcherMergesConcurrentCalls(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var entries [][]string
	b := newAllocUpdateBatcher(func(e *structs.AllocClientUpdateEntry) (uint64, error) {
		mu.Lock()
		n := len(entries)
		ids := make([]string, len(e.Allocs))
		for i, u := range e.Allocs {
			ids[i] = u.ID
		}
		entries = append(entries, ids)
		mu.Unlock()
		if n == 0 {
			<-release // hold the first write so that the others queue
		}
		return uint64(100 + n), nil
	})

	first := make(chan uint64)
	go func() {
		idx, err := b.write(updates(1, "first"), nil)
		if err != nil {
			t.Error(err)
		}
		first <- idx
	}()
	// Wait until the first write is in flight, then queue 40 calls of 50.
	waitFor(t, "the first write in flight", func() bool { mu.Lock(); defer mu.Unlock(); return len(entries) == 1 })
	const calls, per = 40, 50
	var wg sync.WaitGroup
	got := make([]uint64, calls)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			idx, err := b.write(updates(per, fmt.Sprintf("c%d", i)), nil)
			if err != nil {
				t.Error(err)
			}
			got[i] = idx
		}()
	}
	waitFor(t, "40 calls queued", func() bool { b.mu.Lock(); defer b.mu.Unlock(); return len(b.pending) == calls })
	close(release)
	if idx := <-first; idx != 100 {
		t.Fatalf("first call: index %d, want 100", idx)
	}
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	// 2,000 updates in entries of at most 1,024 whole calls: 2 entries.
	if len(entries) != 3 {
		t.Fatalf("%d entries written, want 3 (the first call, then 40 calls merged into 2)", len(entries))
	}
	total := 0
	for i, e := range entries[1:] {
		if len(e) > maxAllocUpdatesPerEntry {
			t.Errorf("entry %d carries %d updates, over the bound %d", i+1, len(e), maxAllocUpdatesPerEntry)
		}
		total += len(e)
	}
	if total != calls*per {
		t.Errorf("%d updates written after the first, want %d", total, calls*per)
	}
	for i, idx := range got {
		if idx != 101 && idx != 102 {
			t.Errorf("call %d: index %d, want the index of the entry that carried it (101 or 102)", i, idx)
		}
	}
}

// A failed write fails every call it carried, and the next call is written
// afresh.
func TestAllocUpdateBatcherReportsErrors(t *testing.T) {
	fail := errors.New("no cluster leader")
	calls := 0
	b := newAllocUpdateBatcher(func(e *structs.AllocClientUpdateEntry) (uint64, error) {
		calls++
		if calls == 1 {
			return 0, fail
		}
		return 7, nil
	})
	if _, err := b.write(updates(2, "a"), nil); !errors.Is(err, fail) {
		t.Fatalf("first write: %v, want %v", err, fail)
	}
	if idx, err := b.write(updates(2, "b"), nil); err != nil || idx != 7 {
		t.Fatalf("second write: index %d, %v; want 7, nil", idx, err)
	}
}
