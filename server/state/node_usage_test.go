package state

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// recount sums a node's non-terminal allocations the slow way.
func recount(t *testing.T, s *StateStore, nodeID string) structs.NodeUsage {
	t.Helper()
	allocs, err := s.AllocsByNode(nil, nodeID)
	must(t, err)
	u := structs.NodeUsage{NodeID: nodeID}
	for _, a := range allocs {
		if !a.TerminalStatus() {
			u.Add(a, 1)
		}
	}
	return u
}

func checkUsage(t *testing.T, s *StateStore, nodes []string, when string) {
	t.Helper()
	for _, n := range nodes {
		got, err := s.NodeUsage(nil, n)
		must(t, err)
		if want := recount(t, s, n); *got != want {
			t.Fatalf("%s: usage of %s = %+v, recount says %+v", when, n, *got, want)
		}
	}
}

// TestNodeUsage_FollowsEveryWrite drives random placements, in-place
// resizes, stops, client reports and deletions, and after each one checks
// the kept summary against a recount of the allocations.
func TestNodeUsage_FollowsEveryWrite(t *testing.T) {
	s := testStore(t)
	job := mockJob("web")
	must(t, s.UpsertJob(1, 1, job))
	nodes := []string{"n1", "n2", "n3"}
	rng := rand.New(rand.NewPCG(7, 7))
	var live []string
	index := uint64(10)
	for step := range 400 {
		index++
		switch op := rng.IntN(5); {
		case op == 0 || len(live) == 0: // place a new allocation
			a := mockAlloc(fmt.Sprintf("a%03d", step), job, nodes[rng.IntN(len(nodes))])
			a.Resources = &structs.Resources{CPU: 10 + rng.IntN(90), MemoryMB: 16 + rng.IntN(64)}
			if rng.IntN(4) == 0 {
				a.AllocatedPorts = []structs.AllocatedPort{{Label: "http", Value: 20000 + step}}
			}
			must(t, s.UpsertPlanResults(index, &structs.ApplyPlanResultsEntry{AllocsPlaced: []*structs.Allocation{a}, Time: 1}))
			live = append(live, a.ID)
		case op == 1: // in-place update with new resources
			old, err := s.AllocByID(nil, live[rng.IntN(len(live))])
			must(t, err)
			c := old.Copy()
			c.Resources = &structs.Resources{CPU: 5 + rng.IntN(50), MemoryMB: 8}
			must(t, s.UpsertPlanResults(index, &structs.ApplyPlanResultsEntry{AllocsPlaced: []*structs.Allocation{c}, Time: 2}))
		case op == 2: // the servers stop one
			id := live[rng.IntN(len(live))]
			stop := &structs.Allocation{ID: id, DesiredStatus: structs.AllocDesiredStop}
			must(t, s.UpsertPlanResults(index, &structs.ApplyPlanResultsEntry{AllocsStopped: []*structs.Allocation{stop}, Time: 3}))
		case op == 3: // the client reports running, complete or failed
			status := []string{structs.AllocClientRunning, structs.AllocClientComplete, structs.AllocClientFailed}[rng.IntN(3)]
			up := &structs.AllocStatusUpdate{ID: live[rng.IntN(len(live))], ClientStatus: status, ModifyTime: 4}
			must(t, s.UpdateAllocsFromClient(index, []*structs.AllocStatusUpdate{up}))
		default: // garbage collection
			i := rng.IntN(len(live))
			must(t, s.DeleteEvals(index, nil, []string{live[i]}))
			live = slices.Delete(live, i, i+1)
		}
		checkUsage(t, s, nodes, fmt.Sprintf("step %d", step))
	}

	// Not persisted: rebuilt on restore.
	snap, err := s.Snapshot()
	must(t, err)
	var buf bytes.Buffer
	must(t, snap.Persist(&buf))
	restored, err := Restore(&buf, s.logger)
	must(t, err)
	checkUsage(t, restored, nodes, "after restore")
	for _, n := range nodes {
		a, _ := s.NodeUsage(nil, n)
		b, _ := restored.NodeUsage(nil, n)
		if *a != *b {
			t.Fatalf("restore changed the usage of %s: %+v → %+v", n, *a, *b)
		}
	}
}

func TestNodeAllocChanges_DeltaAndFull(t *testing.T) {
	s := testStore(t)
	job := mockJob("web")
	must(t, s.UpsertJob(1, 1, job))
	place := func(index uint64, ids ...string) {
		t.Helper()
		var as []*structs.Allocation
		for _, id := range ids {
			as = append(as, mockAlloc(id, job, "n1"))
		}
		as = append(as, mockAlloc("other-"+ids[0], job, "n10")) // never listed for n1
		must(t, s.UpsertPlanResults(index, &structs.ApplyPlanResultsEntry{AllocsPlaced: as, Time: 1}))
	}
	list := func(since uint64) (string, bool, uint64) {
		t.Helper()
		allocs, full, idx, err := s.NodeAllocChanges(nil, "n1", since)
		must(t, err)
		got := ids(allocs, allocID)
		slices.Sort(got)
		return fmt.Sprint(got), full, idx
	}
	place(10, "a1", "a2")
	place(11, "a3")
	if got, full, idx := list(0); got != "[a1 a2 a3]" || !full || idx != 11 {
		t.Fatalf("first answer: %s full=%v index=%d", got, full, idx)
	}
	if got, full, _ := list(10); got != "[a3]" || full {
		t.Fatalf("since 10: %s full=%v, want only a3 as a delta", got, full)
	}
	if got, full, _ := list(11); got != "[]" || full {
		t.Fatalf("since 11: %s full=%v, want nothing", got, full)
	}
	// A client report changes nothing the watch cares about.
	must(t, s.UpdateAllocsFromClient(12, []*structs.AllocStatusUpdate{{ID: "a1", ClientStatus: structs.AllocClientRunning}}))
	if got, full, idx := list(11); got != "[]" || full || idx != 11 {
		t.Fatalf("after a report: %s full=%v index=%d", got, full, idx)
	}
	// A stop is a server-side change: a1 comes again.
	stop := &structs.Allocation{ID: "a1", DesiredStatus: structs.AllocDesiredStop}
	must(t, s.UpsertPlanResults(13, &structs.ApplyPlanResultsEntry{AllocsStopped: []*structs.Allocation{stop}, Time: 2}))
	if got, full, idx := list(11); got != "[a1]" || full || idx != 13 {
		t.Fatalf("after a stop: %s full=%v index=%d", got, full, idx)
	}
	// A deletion forces a full answer for anyone who has not seen it.
	must(t, s.DeleteEvals(14, nil, []string{"a1"}))
	if got, full, idx := list(13); got != "[a2 a3]" || !full || idx != 14 {
		t.Fatalf("after a deletion: %s full=%v index=%d", got, full, idx)
	}
	if got, full, _ := list(14); got != "[]" || full {
		t.Fatalf("since the deletion: %s full=%v", got, full)
	}
}
