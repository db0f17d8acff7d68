package fsm

import (
	"fmt"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// raftNode is one in-memory Raft server around an FSM.
type raftNode struct {
	raft   *raft.Raft
	fsm    *FSM
	store  *raft.InmemStore
	snaps  *raft.InmemSnapshotStore
	config *raft.Config
}

func fastRaftConfig() *raft.Config {
	c := raft.DefaultConfig()
	c.LocalID = "s1"
	c.HeartbeatTimeout = 50 * time.Millisecond
	c.ElectionTimeout = 50 * time.Millisecond
	c.LeaderLeaseTimeout = 50 * time.Millisecond
	c.CommitTimeout = 5 * time.Millisecond
	c.Logger = hclog.NewNullLogger()
	// Drop the log up to a snapshot, so that a restart can only recover
	// through FSM.Restore.
	c.TrailingLogs = 0
	return c
}

// startRaft starts a single voter on the given stores, bootstrapping it
// when the stores are empty, and waits until it leads.
func startRaft(t *testing.T, store *raft.InmemStore, snaps *raft.InmemSnapshotStore) *raftNode {
	t.Helper()
	conf := fastRaftConfig()
	f := testFSM(t)
	addr, trans := raft.NewInmemTransport("s1")
	has, err := raft.HasExistingState(store, store, snaps)
	must(t, err)
	if !has {
		cfg := raft.Configuration{Servers: []raft.Server{{ID: conf.LocalID, Address: addr, Suffrage: raft.Voter}}}
		must(t, raft.BootstrapCluster(conf, store, store, snaps, trans, cfg))
	}
	r, err := raft.NewRaft(conf, f, store, store, snaps, trans)
	must(t, err)
	n := &raftNode{raft: r, fsm: f, store: store, snaps: snaps, config: conf}
	t.Cleanup(func() { r.Shutdown() })
	deadline := time.Now().Add(60 * time.Second)
	for r.State() != raft.Leader {
		if time.Now().After(deadline) {
			t.Fatal("single-node raft did not elect itself")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return n
}

func (n *raftNode) apply(t *testing.T, typ structs.MessageType, msg any) uint64 {
	t.Helper()
	fut := n.raft.Apply(encode(t, typ, msg), 5*time.Second)
	if err := fut.Error(); err != nil {
		t.Fatalf("raft apply type %d: %v", typ, err)
	}
	if resp := fut.Response(); resp != nil {
		t.Fatalf("fsm rejected type %d: %v", typ, resp)
	}
	return fut.Index()
}

func TestRealRaftApplySnapshotRestore(t *testing.T) {
	store, snaps := raft.NewInmemStore(), raft.NewInmemSnapshotStore()
	n := startRaft(t, store, snaps)

	n.apply(t, structs.NodeRegisterRequestType, &structs.NodeRegisterEntry{Node: mockNode("n1")})
	job := mockJob("web", structs.JobTypeService)
	regIndex := n.apply(t, structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: job, Eval: mockEval("e1", job, structs.EvalStatusPending)})
	var placed []*structs.Allocation
	for i := 0; i < 5; i++ {
		placed = append(placed, mockAlloc(fmt.Sprintf("a%d", i), job, "n1", i))
	}
	n.apply(t, structs.ApplyPlanResultsRequestType, &structs.ApplyPlanResultsEntry{AllocsPlaced: placed, EvalID: "e1", Time: 7})
	last := n.apply(t, structs.AllocClientUpdateRequestType, &structs.AllocClientUpdateEntry{Allocs: []*structs.AllocStatusUpdate{
		{ID: "a0", ClientStatus: structs.AllocClientRunning, ModifyTime: 8}}})

	j, _ := n.fsm.State().JobByID(nil, "default", "web")
	if j == nil || j.JobModifyIndex != regIndex || j.Status != structs.JobStatusRunning {
		t.Fatalf("job applied through raft: %+v", j)
	}
	if idx, _ := n.fsm.State().LatestIndex(); idx != last {
		t.Fatalf("state index %d, raft index %d", idx, last)
	}
	// A rejected entry comes back as the future's response, not an error.
	fut := n.raft.Apply(encode(t, structs.NodeUpdateStatusRequestType, &structs.NodeStatusEntry{NodeID: "missing", Status: "down"}), time.Second)
	must(t, fut.Error())
	if err, ok := fut.Response().(error); !ok || !structs.IsNotFound(err) {
		t.Fatalf("rejected entry response: %v", fut.Response())
	}

	must(t, n.raft.Snapshot().Error())
	want := dumpState(t, n.fsm.State())
	if first, _ := store.FirstIndex(); first != 0 && first <= last {
		t.Fatalf("log still holds index %d after the snapshot", first)
	}
	must(t, n.raft.Shutdown().Error())

	// Restart on the same stores with a fresh FSM: Raft restores the
	// snapshot into it.
	n2 := startRaft(t, store, snaps)
	if got := dumpState(t, n2.fsm.State()); got != want {
		t.Fatalf("state after restart from snapshot differs:\nwant:\n%s\ngot:\n%s", want, got)
	}
	// And it keeps applying on top of the restored state.
	n2.apply(t, structs.AllocClientUpdateRequestType, &structs.AllocClientUpdateEntry{Allocs: []*structs.AllocStatusUpdate{
		{ID: "a1", ClientStatus: structs.AllocClientRunning, ModifyTime: 9}}})
	a, _ := n2.fsm.State().AllocByID(nil, "a1")
	if a == nil || a.ClientStatus != structs.AllocClientRunning || a.AllocModifyIndex >= a.ModifyIndex {
		t.Fatalf("alloc after restart: %+v", a)
	}
}

func TestRealRaftUserRestore(t *testing.T) {
	n := startRaft(t, raft.NewInmemStore(), raft.NewInmemSnapshotStore())
	n.apply(t, structs.NodeRegisterRequestType, &structs.NodeRegisterEntry{Node: mockNode("n1")})
	must(t, n.raft.Snapshot().Error())
	want := dumpState(t, n.fsm.State())
	list, err := n.snaps.List()
	must(t, err)
	if len(list) == 0 {
		t.Fatal("no snapshot stored")
	}
	meta, rc, err := n.snaps.Open(list[0].ID)
	must(t, err)
	defer rc.Close()

	// Change the state, then restore the snapshot over the running FSM.
	n.apply(t, structs.NodeRegisterRequestType, &structs.NodeRegisterEntry{Node: mockNode("n2")})
	before := n.fsm.State()
	must(t, n.raft.Restore(meta, rc, 5*time.Second))
	if !before.Abandoned() || before.Successor() != n.fsm.State() {
		t.Fatal("restore did not hand over from the old store to the new one")
	}
	if got := dumpState(t, n.fsm.State()); got != want {
		t.Fatalf("state after user restore differs:\nwant:\n%s\ngot:\n%s", want, got)
	}
}
