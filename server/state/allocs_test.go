package state

import (
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func exitCode(i int) *int { return &i }

func TestPlanResultsAndClientUpdates(t *testing.T) {
	s := testStore(t)
	job := mockJob("web")
	must(t, s.UpsertJob(1, 1, job))
	a1, a2 := mockAlloc("a1", job, "n1"), mockAlloc("a2", job, "n2")
	a1.CreateTime = 0
	must(t, s.UpsertPlanResults(10, &structs.ApplyPlanResultsEntry{
		AllocsPlaced: []*structs.Allocation{a1, a2}, EvalID: "e1", Time: 1000,
	}))
	got, err := s.AllocByID(nil, "a1")
	must(t, err)
	if got.CreateIndex != 10 || got.ModifyIndex != 10 || got.AllocModifyIndex != 10 || got.CreateTime != 1000 || got.ModifyTime != 1000 {
		t.Fatalf("placed alloc indexes/times: %+v", got)
	}

	// Client update: ModifyIndex moves, AllocModifyIndex does not; task
	// states merge by task name; unknown allocations are skipped.
	must(t, s.UpdateAllocsFromClient(11, []*structs.AllocStatusUpdate{
		{ID: "a1", ClientStatus: structs.AllocClientRunning, ModifyTime: 1100,
			TaskStates: map[string]*structs.TaskState{"server": {State: structs.TaskStateRunning, StartedAt: 1050}}},
		{ID: "gone", ClientStatus: structs.AllocClientRunning},
	}))
	must(t, s.UpdateAllocsFromClient(12, []*structs.AllocStatusUpdate{
		{ID: "a1", ClientStatus: structs.AllocClientRunning, ModifyTime: 1200,
			TaskStates: map[string]*structs.TaskState{"sidecar": {State: structs.TaskStateDead, ExitCode: exitCode(3)}}},
	}))
	got, _ = s.AllocByID(nil, "a1")
	if got.ClientStatus != structs.AllocClientRunning || got.ModifyIndex != 12 || got.AllocModifyIndex != 10 || got.ModifyTime != 1200 {
		t.Fatalf("client update: %+v", got)
	}
	if len(got.TaskStates) != 2 || got.TaskStates["server"].StartedAt != 1050 || *got.TaskStates["sidecar"].ExitCode != 3 {
		t.Fatalf("task states not merged: %s", asJSON(t, got.TaskStates))
	}
	if idx, _ := s.Index(TableAllocs); idx != 12 {
		t.Fatalf("allocs index = %d", idx)
	}

	// In-place update: the scheduler's stale client fields are ignored.
	upd := mockAlloc("a1", job, "n1")
	upd.JobVersion = 1
	upd.ClientStatus = structs.AllocClientPending
	stop := &structs.Allocation{ID: "a2", DesiredStatus: structs.AllocDesiredStop,
		DesiredDescription: "node down", ClientStatus: structs.AllocClientLost}
	must(t, s.UpsertPlanResults(13, &structs.ApplyPlanResultsEntry{
		AllocsPlaced: []*structs.Allocation{upd}, AllocsStopped: []*structs.Allocation{stop}, Time: 1300,
	}))
	got, _ = s.AllocByID(nil, "a1")
	if got.JobVersion != 1 || got.ClientStatus != structs.AllocClientRunning || len(got.TaskStates) != 2 ||
		got.CreateIndex != 10 || got.CreateTime != 1000 || got.AllocModifyIndex != 13 || got.ModifyTime != 1300 {
		t.Fatalf("in-place update: %+v", got)
	}
	got, _ = s.AllocByID(nil, "a2")
	if got.DesiredStatus != structs.AllocDesiredStop || got.DesiredDescription != "node down" ||
		got.ClientStatus != structs.AllocClientLost || got.AllocModifyIndex != 13 || got.NodeID != "n2" {
		t.Fatalf("stopped alloc: %+v", got)
	}
}

func TestAllocReads(t *testing.T) {
	s := testStore(t)
	web, api := mockJob("web"), mockJob("api")
	a := []*structs.Allocation{
		mockAlloc("a1", web, "n1"), mockAlloc("a2", web, "n2"), mockAlloc("a3", api, "n1"),
		mockAlloc("a4", api, "n10"), // a node ID with n1 as its prefix
	}
	must(t, s.UpsertAllocs(5, a))
	check := func(name string, got []*structs.Allocation, err error, want string) {
		t.Helper()
		must(t, err)
		if g := strings.Join(ids(got, allocID), ","); g != want {
			t.Fatalf("%s = %s, want %s", name, g, want)
		}
	}
	got, err := s.AllocsByNode(nil, "n1")
	check("by node n1", got, err, "a1,a3")
	got, err = s.AllocsByJob(nil, "default", "web")
	check("by job web", got, err, "a1,a2")
	got, err = s.AllocsByJob(nil, "other-ns", "web")
	check("by job in another namespace", got, err, "")
	got, err = s.Allocs(nil)
	check("all", got, err, "a1,a2,a3,a4")
	if x, err := s.AllocByID(nil, "nope"); x != nil || err != nil {
		t.Fatalf("missing alloc: %v, %v", x, err)
	}
	// The store keeps copies: changing the caller's object changes nothing.
	a[0].ClientStatus = structs.AllocClientFailed
	if x, _ := s.AllocByID(nil, "a1"); x.ClientStatus != structs.AllocClientPending {
		t.Fatal("store shares the caller's allocation")
	}
}

func TestDeleteEvalsAndAllocs(t *testing.T) {
	s := testStore(t)
	job := mockJob("web")
	must(t, s.UpsertEvals(1, []*structs.Evaluation{mockEval("e1", job, structs.EvalStatusPending)}))
	must(t, s.UpsertEvals(2, []*structs.Evaluation{mockEval("e1", job, structs.EvalStatusComplete)}))
	e, _ := s.EvalByID(nil, "e1")
	if e.CreateIndex != 1 || e.ModifyIndex != 2 || e.Status != structs.EvalStatusComplete {
		t.Fatalf("updated eval: %+v", e)
	}
	must(t, s.UpsertAllocs(3, []*structs.Allocation{mockAlloc("a1", job, "n1")}))
	must(t, s.DeleteEvals(4, []string{"e1", "unknown"}, []string{"a1", "unknown"}))
	if e, _ := s.EvalByID(nil, "e1"); e != nil {
		t.Fatal("eval not deleted")
	}
	if a, _ := s.AllocByID(nil, "a1"); a != nil {
		t.Fatal("alloc not deleted")
	}
	for _, table := range []string{TableEvals, TableAllocs} {
		if idx, _ := s.Index(table); idx != 4 {
			t.Fatalf("%s index = %d, want 4", table, idx)
		}
	}
	evals, err := s.EvalsByJob(nil, "default", "web")
	must(t, err)
	if len(evals) != 0 {
		t.Fatalf("evals left: %d", len(evals))
	}
}

func TestNodes(t *testing.T) {
	s := testStore(t)
	n := mockNode("n1")
	must(t, s.UpsertNode(1, n))
	got, _ := s.NodeByID(nil, "n1")
	if got.SchedulingEligibility != structs.NodeEligible || got.CreateIndex != 1 {
		t.Fatalf("registered node: %+v", got)
	}
	// An operator made it ineligible; a client restart re-registers it.
	must(t, s.UpdateNodeEligibility(2, "n1", structs.NodeIneligible))
	if err := s.UpdateNodeEligibility(2, "n1", "maybe"); err == nil {
		t.Fatal("invalid eligibility accepted")
	}
	again := mockNode("n1")
	again.Attributes["new"] = "1"
	again.SchedulingEligibility = structs.NodeEligible // a client's default must not win
	must(t, s.UpsertNode(3, again))
	got, _ = s.NodeByID(nil, "n1")
	if got.SchedulingEligibility != structs.NodeIneligible || got.CreateIndex != 1 || got.ModifyIndex != 3 || got.Attributes["new"] != "1" {
		t.Fatalf("re-registered node: %+v", got)
	}

	must(t, s.UpdateNodeStatus(4, "n1", structs.NodeStatusDown, 444))
	got, _ = s.NodeByName(nil, "node-n1")
	if got == nil || got.Status != structs.NodeStatusDown || got.StatusUpdatedAt != 444 || got.ModifyIndex != 4 {
		t.Fatalf("node by name after status update: %+v", got)
	}
	if err := s.UpdateNodeStatus(5, "nope", structs.NodeStatusDown, 1); err == nil {
		t.Fatal("status update of an unknown node succeeded")
	}

	// Same name, newer node: NodeByName picks the most recently modified.
	n2 := mockNode("n2")
	n2.Name = "node-n1"
	must(t, s.UpsertNode(6, n2))
	if got, _ := s.NodeByName(nil, "node-n1"); got.ID != "n2" {
		t.Fatalf("node by shared name = %s, want n2", got.ID)
	}
	must(t, s.DeleteNodes(7, []string{"n1", "unknown"}))
	nodes, err := s.Nodes(nil)
	must(t, err)
	if len(nodes) != 1 || nodes[0].ID != "n2" {
		t.Fatalf("nodes after delete: %d", len(nodes))
	}
}

func TestSnapshotIsPointInTime(t *testing.T) {
	s := testStore(t)
	must(t, s.UpsertNode(1, mockNode("n1")))
	snap, err := s.Snapshot()
	must(t, err)
	must(t, s.UpsertNode(2, mockNode("n2")))
	nodes, _ := snap.Nodes(nil)
	if len(nodes) != 1 {
		t.Fatalf("snapshot sees %d nodes, want 1", len(nodes))
	}
	if idx, _ := snap.LatestIndex(); idx != 1 {
		t.Fatalf("snapshot index = %d, want 1", idx)
	}
	if idx, _ := s.LatestIndex(); idx != 2 {
		t.Fatalf("store index = %d, want 2", idx)
	}
}

func TestUpdateIsAtomic(t *testing.T) {
	s := testStore(t)
	job := mockJob("web")
	err := s.Update(1, func(tx *WriteTxn) error {
		must(t, tx.UpsertJob(1, job))
		return tx.UpsertEvals([]*structs.Evaluation{{ID: ""}})
	})
	if err == nil {
		t.Fatal("eval without ID accepted")
	}
	if j, _ := s.JobByID(nil, "default", "web"); j != nil {
		t.Fatal("job written although its transaction failed")
	}
	if idx, _ := s.LatestIndex(); idx != 0 {
		t.Fatalf("latest index = %d after a failed transaction", idx)
	}
}
