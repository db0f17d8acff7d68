package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

func forceGC(t *testing.T, s *Server) structs.GCCounts {
	t.Helper()
	var reply structs.SystemGCResponse
	if err := s.RPC(structs.SystemGCRPC, &structs.SystemGCRequest{}, &reply); err != nil {
		t.Fatalf("system gc: %v", err)
	}
	return reply.Collected
}

// runBatchToDeath registers a batch job, finishes its allocations as the
// client would and waits until the job is dead.
func runBatchToDeath(t *testing.T, s *Server, node *structs.Node, id string, count int) {
	t.Helper()
	job := testJob(id, count, 16)
	job.Type = structs.JobTypeBatch
	registerJob(t, s, job)
	waitFor(t, id+" placed", func() bool { return len(jobAllocs(t, s, id)) == count })
	finishAllocs(t, s, node, id)
	waitFor(t, id+" dead", func() bool { return jobStatus(s, id) == structs.JobStatusDead })
	waitFor(t, id+" evaluations finished", func() bool {
		evals, _ := s.State().EvalsByJob(nil, structs.DefaultNamespace, id)
		for _, e := range evals {
			if !e.TerminalStatus() {
				return false
			}
		}
		return true
	})
}

func jobLeft(s *Server, id string) (job bool, allocs, evals int) {
	j, _ := s.State().JobByID(nil, structs.DefaultNamespace, id)
	a, _ := s.State().AllocsByJob(nil, structs.DefaultNamespace, id)
	e, _ := s.State().EvalsByJob(nil, structs.DefaultNamespace, id)
	return j != nil, len(a), len(e)
}

// A forced collection takes a dead batch job whole: job, versions,
// evaluations, allocations.
func TestCoreGC_ForcedCollectsDeadJobWhole(t *testing.T) {
	s := testServer(t, nil)
	node := testNode("n1", 4000, 4096)
	registerNode(t, s, node)
	runBatchToDeath(t, s, node, "done", 3)

	n := forceGC(t, s)
	if job, allocs, evals := jobLeft(s, "done"); job || allocs+evals > 0 {
		t.Fatalf("after system gc: job left %v, %d allocation(s), %d evaluation(s)", job, allocs, evals)
	}
	if n.Jobs != 1 || n.Allocs != 3 || n.Evals < 1 {
		t.Fatalf("collected %+v, want 1 job, 3 allocations and its evaluations", n)
	}
	if v, _ := s.State().JobVersionsByID(nil, structs.DefaultNamespace, "done"); len(v) != 0 {
		t.Fatalf("%d version(s) of the collected job left", len(v))
	}
}

// Thresholds: a dead job younger than job_gc_threshold stays; the same
// pass an hour later takes it.
func TestCoreGC_JobThreshold(t *testing.T) {
	s := testServer(t, func(c *Config) {
		c.GC = GCConfig{JobThreshold: time.Hour, EvalThreshold: time.Hour, BatchEvalThreshold: time.Hour}
	})
	node := testNode("n1", 4000, 4096)
	registerNode(t, s, node)
	runBatchToDeath(t, s, node, "recent", 1)
	cfg := s.config.GC.withDefaults()

	if _, err := s.collectGarbage(context.Background(), cfg.cutoffs(time.Now())); err != nil {
		t.Fatal(err)
	}
	if job, allocs, _ := jobLeft(s, "recent"); !job || allocs != 1 {
		t.Fatalf("a job dead for less than the threshold was collected (job %v, %d allocation(s))", job, allocs)
	}
	if _, err := s.collectGarbage(context.Background(), cfg.cutoffs(time.Now().Add(61*time.Minute))); err != nil {
		t.Fatal(err)
	}
	if job, allocs, evals := jobLeft(s, "recent"); job || allocs+evals > 0 {
		t.Fatalf("a job dead for longer than the threshold was kept (job %v, %d allocation(s), %d evaluation(s))", job, allocs, evals)
	}
}

// The leader's loop collects by itself once thresholds pass.
func TestCoreGC_LeaderLoopCollects(t *testing.T) {
	tiny := time.Millisecond
	s := testServer(t, func(c *Config) {
		c.GC = GCConfig{Interval: 50 * time.Millisecond, JobThreshold: tiny, EvalThreshold: tiny, BatchEvalThreshold: tiny, NodeThreshold: tiny}
	})
	node := testNode("n1", 4000, 4096)
	registerNode(t, s, node)
	runBatchToDeath(t, s, node, "loop", 2)
	waitFor(t, "the loop collected the dead job", func() bool {
		job, allocs, evals := jobLeft(s, "loop")
		return !job && allocs+evals == 0
	})
}

// Nothing referenced is collected, even by a forced collection: a running
// service job and its evaluation, a stopped job whose allocation its
// client has not stopped yet, a down node that still has live work.
func TestCoreGC_NeverCollectsReferenced(t *testing.T) {
	s := testServer(t, nil)
	node := testNode("n1", 4000, 4096)
	registerNode(t, s, node)
	registerJob(t, s, testJob("web", 1, 64))
	registerJob(t, s, testJob("stopping", 1, 64))
	waitFor(t, "both placed", func() bool { return len(jobAllocs(t, s, "web")) == 1 && len(jobAllocs(t, s, "stopping")) == 1 })
	var running []*structs.AllocStatusUpdate
	for _, id := range []string{"web", "stopping"} {
		running = append(running, &structs.AllocStatusUpdate{ID: jobAllocs(t, s, id)[0].ID, ClientStatus: structs.AllocClientRunning, ModifyTime: time.Now().UnixNano()})
	}
	var r structs.GenericResponse
	if err := s.RPC(structs.NodeUpdateAllocRPC, &structs.AllocUpdateRequest{NodeID: node.ID, SecretID: testSecret(node.ID), Allocs: running}, &r); err != nil {
		t.Fatal(err)
	}
	var dr structs.JobDeregisterResponse
	if err := s.RPC(structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: "stopping"}, &dr); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the stop planned", func() bool {
		a := jobAllocs(t, s, "stopping")
		return len(a) == 1 && a[0].DesiredStatus == structs.AllocDesiredStop
	})
	waitFor(t, "evaluations finished", func() bool {
		evals, _ := s.State().Evals(nil)
		for _, e := range evals {
			if !e.TerminalStatus() {
				return false
			}
		}
		return true
	})
	forceGC(t, s)
	if job, allocs, evals := jobLeft(s, "web"); !job || allocs != 1 || evals == 0 {
		t.Fatalf("running job after gc: job %v, %d allocation(s), %d evaluation(s); want all kept", job, allocs, evals)
	}
	if job, allocs, _ := jobLeft(s, "stopping"); !job || allocs != 1 {
		t.Fatalf("stopped job whose allocation still runs: job %v, %d allocation(s); want both kept", job, allocs)
	}

	// The node goes down long ago, but its allocations are still live
	// (no evaluation marked them lost yet): it stays.
	entry := &structs.NodeStatusEntry{NodeID: node.ID, Status: structs.NodeStatusDown, UpdatedAt: time.Now().Add(-48 * time.Hour).UnixNano()}
	if _, err := s.raftApply(structs.NodeUpdateStatusRequestType, entry); err != nil {
		t.Fatal(err)
	}
	forceGC(t, s)
	if n, _ := s.State().NodeByID(nil, node.ID); n == nil {
		t.Fatal("a down node with live allocations was collected")
	}
}

// The FSM checks again what an entry names: a stale decision (made on a
// snapshot before the objects became referenced) deletes nothing live.
func TestCoreGC_EntryRecheckedAtApply(t *testing.T) {
	s := testServer(t, nil)
	node := testNode("n1", 4000, 4096)
	registerNode(t, s, node)
	reg := registerJob(t, s, testJob("web", 1, 64))
	waitFor(t, "placed", func() bool { return len(jobAllocs(t, s, "web")) == 1 })
	alloc := jobAllocs(t, s, "web")[0]
	expires := time.Now().Add(time.Hour)
	tok := &structs.ACLToken{AccessorID: structs.GenerateID(), SecretHash: structs.HashSecret("s1"), Type: structs.ACLTokenTypeClient, ExpirationTime: &expires}
	if _, err := s.raftApply(structs.ACLTokenUpsertRequestType, &structs.ACLTokenUpsertEntry{Tokens: []*structs.ACLToken{tok}}); err != nil {
		t.Fatal(err)
	}
	stale := &structs.CoreGCEntry{
		Allocs: []string{alloc.ID}, Evals: []string{reg.EvalID},
		Jobs:  []structs.GCJobRef{{Namespace: structs.DefaultNamespace, ID: "web"}},
		Nodes: []string{node.ID}, ACLTokens: []string{tok.AccessorID}, Time: time.Now().UnixNano(),
	}
	if _, err := s.raftApply(structs.CoreGCRequestType, stale); err != nil {
		t.Fatal(err)
	}
	if job, allocs, _ := jobLeft(s, "web"); !job || allocs != 1 {
		t.Fatalf("a stale entry deleted live work: job %v, %d allocation(s)", job, allocs)
	}
	if n, _ := s.State().NodeByID(nil, node.ID); n == nil {
		t.Fatal("a stale entry deleted a ready node")
	}
	if got, _ := s.State().ACLTokenByAccessorID(nil, tok.AccessorID); got == nil {
		t.Fatal("a stale entry deleted a token that has not expired")
	}
}

// Down nodes that run nothing are collected after node_gc_threshold.
func TestCoreGC_DownNodeCollected(t *testing.T) {
	s := testServer(t, func(c *Config) { c.GC = GCConfig{NodeThreshold: time.Hour} })
	old, recent, ready := testNode("old", 1000, 1024), testNode("recent", 1000, 1024), testNode("ready", 1000, 1024)
	for _, n := range []*structs.Node{old, recent, ready} {
		registerNode(t, s, n)
	}
	for n, at := range map[*structs.Node]time.Time{old: time.Now().Add(-2 * time.Hour), recent: time.Now()} {
		e := &structs.NodeStatusEntry{NodeID: n.ID, Status: structs.NodeStatusDown, UpdatedAt: at.UnixNano()}
		if _, err := s.raftApply(structs.NodeUpdateStatusRequestType, e); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.collectGarbage(context.Background(), s.config.GC.withDefaults().cutoffs(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.State().NodeByID(nil, old.ID); got != nil {
		t.Fatal("a node down for longer than the threshold was kept")
	}
	for _, keep := range []*structs.Node{recent, ready} {
		if got, _ := s.State().NodeByID(nil, keep.ID); got == nil {
			t.Fatalf("node %s was collected", keep.Name)
		}
	}
	if n.Nodes != 1 {
		t.Fatalf("collected %d node(s), want 1", n.Nodes)
	}
}

// Expired ACL tokens are collected; live ones and ones without an
// expiry stay.
func TestCoreGC_ExpiredACLTokens(t *testing.T) {
	s := testServer(t, nil)
	past, future := time.Now().Add(-time.Minute), time.Now().Add(time.Hour)
	mk := func(name string, exp *time.Time) *structs.ACLToken {
		return &structs.ACLToken{AccessorID: structs.GenerateID(), SecretHash: structs.HashSecret(name), Name: name,
			Type: structs.ACLTokenTypeClient, ExpirationTime: exp}
	}
	expired, live, forever := mk("expired", &past), mk("live", &future), mk("forever", nil)
	if _, err := s.raftApply(structs.ACLTokenUpsertRequestType, &structs.ACLTokenUpsertEntry{Tokens: []*structs.ACLToken{expired, live, forever}}); err != nil {
		t.Fatal(err)
	}
	n := forceGC(t, s)
	if got, _ := s.State().ACLTokenByAccessorID(nil, expired.AccessorID); got != nil {
		t.Fatal("the expired token was kept")
	}
	for _, tok := range []*structs.ACLToken{live, forever} {
		if got, _ := s.State().ACLTokenByAccessorID(nil, tok.AccessorID); got == nil {
			t.Fatalf("token %s was collected", tok.Name)
		}
	}
	if n.ACLTokens != 1 {
		t.Fatalf("collected %d token(s), want 1", n.ACLTokens)
	}
}

// A collection larger than one batch is written as several bounded
// entries, and the job goes only after all of its allocations.
func TestCoreGC_BoundedBatches(t *testing.T) {
	s := testServer(t, nil)
	node := testNode("n1", 4000, 4096)
	registerNode(t, s, node)
	job := testJob("big", 1, 16)
	job.Type, job.Stop = structs.JobTypeBatch, true
	if _, err := s.raftApply(structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: job}); err != nil {
		t.Fatal(err)
	}
	const total = 2*gcBatchSize + 100
	var placed []*structs.Allocation
	for i := 0; i < total; i++ {
		placed = append(placed, &structs.Allocation{ID: structs.GenerateID(), Namespace: structs.DefaultNamespace,
			JobID: "big", TaskGroup: "web", Name: fmt.Sprintf("big.web[%d]", i), NodeID: node.ID,
			DesiredStatus: structs.AllocDesiredRun, ClientStatus: structs.AllocClientComplete})
	}
	if _, err := s.raftApply(structs.ApplyPlanResultsRequestType, &structs.ApplyPlanResultsEntry{AllocsPlaced: placed, Time: time.Now().UnixNano()}); err != nil {
		t.Fatal(err)
	}
	before, _ := s.State().LatestIndex()
	n := forceGC(t, s)
	after, _ := s.State().LatestIndex()
	if n.Allocs != total || n.Jobs != 1 {
		t.Fatalf("collected %+v, want %d allocations and the job", n, total)
	}
	if entries := after - before; entries < 3 {
		t.Fatalf("%d objects collected in %d Raft entries, want at least 3 of at most %d", total+1, entries, gcBatchSize)
	}
}

// A dead job that runs again between the leader's decision and the
// entry's apply keeps everything: its completed allocations still say its
// work is done.
func TestCoreGC_JobRegisteredAgainBeforeApplyIsKeptWhole(t *testing.T) {
	s := testServer(t, nil)
	node := testNode("n1", 4000, 4096)
	registerNode(t, s, node)
	runBatchToDeath(t, s, node, "again", 2)

	groups, err := groupByJob(s.State())
	if err != nil {
		t.Fatal(err)
	}
	entry := &structs.CoreGCEntry{Time: time.Now().UnixNano()}
	for _, g := range groups {
		var p gcPick
		p.decideJob(g, forcedCutoffs(time.Now()), nodeGoneLookup(s.State()))
		entry.Allocs = append(entry.Allocs, p.allocs...)
		entry.Evals = append(entry.Evals, p.evals...)
		p.nameJob(entry)
	}
	if len(entry.Jobs) != 1 || len(entry.Allocs) != 2 {
		t.Fatalf("decision %+v, want the dead job whole", entry)
	}
	// Meanwhile the job runs again: a new allocation (as a registration's
	// plan would place) makes it running. Written directly, so that no
	// scheduler timing decides whether it is still live at the apply.
	again := &structs.Allocation{ID: structs.GenerateID(), Namespace: structs.DefaultNamespace, JobID: "again",
		TaskGroup: "web", Name: "again.web[2]", NodeID: node.ID, DesiredStatus: structs.AllocDesiredRun}
	if _, err := s.raftApply(structs.ApplyPlanResultsRequestType, &structs.ApplyPlanResultsEntry{AllocsPlaced: []*structs.Allocation{again}, Time: time.Now().UnixNano()}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.raftApply(structs.CoreGCRequestType, entry); err != nil {
		t.Fatal(err)
	}
	if j, allocs, _ := jobLeft(s, "again"); !j || allocs != 3 {
		t.Fatalf("after the stale decision: job %v, %d allocation(s); want the job, both completed allocations and the new one", j, allocs)
	}
}
