package fsm

import (
	"io"
	"testing"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/raft"
)

func svcReg(id, alloc, node, status string) *structs.ServiceRegistration {
	return &structs.ServiceRegistration{ID: id, ServiceName: "api", Namespace: "default", NodeID: node,
		JobID: "web", AllocID: alloc, Group: "web", Task: "server", Tags: []string{"v1"},
		Address: "127.0.0.1", Port: 8080, Status: status}
}

// serviceIDs lists the catalog's registration IDs.
func serviceIDs(t *testing.T, f *FSM) []string {
	t.Helper()
	regs, err := f.State().ServiceRegistrations(nil, "")
	must(t, err)
	out := []string{}
	for _, r := range regs {
		out = append(out, r.ID+":"+r.Status)
	}
	return out
}

func wantIDs(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: catalog holds %v, want %v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: catalog holds %v, want %v", what, got, want)
		}
	}
}

// TestApplyServiceRegistrations: upserts land only for live allocations on
// their own node; status updates replace; the catalog survives a snapshot
// and restore; an allocation that ends, a node that goes down and garbage
// collection each remove their instances.
func TestApplyServiceRegistrations(t *testing.T) {
	f := testFSM(t)
	idx := populate(t, f) // a0 running on n0, a1 failed on n1, a2 pending on n2 (down)
	next := func() uint64 { idx++; return idx }
	apply(t, f, next(), structs.NodeRegisterRequestType, &structs.NodeRegisterEntry{Node: mockNode("n3")})
	web := jobOf(t, f, "web")
	apply(t, f, next(), structs.ApplyPlanResultsRequestType, &structs.ApplyPlanResultsEntry{
		AllocsPlaced: []*structs.Allocation{mockAlloc("a3", web, "n3", 3), mockAlloc("a4", web, "n3", 4)}, EvalID: "e2", Time: 40})

	apply(t, f, next(), structs.ServiceRegistrationRequestType, &structs.ServiceRegistrationEntry{Upserts: []*structs.ServiceRegistration{
		svcReg("s0", "a0", "n0", structs.ServiceStatusCritical),
		svcReg("s1", "a1", "n1", structs.ServiceStatusPassing),   // failed allocation: skipped
		svcReg("s2", "a2", "n2", structs.ServiceStatusPassing),   // node down: skipped
		svcReg("s3", "a3", "n3", structs.ServiceStatusPassing),   // live
		svcReg("s4", "a4", "n3", structs.ServiceStatusPassing),   // live
		svcReg("s5", "a0", "n3", structs.ServiceStatusPassing),   // wrong node: skipped
		svcReg("s6", "nope", "n3", structs.ServiceStatusPassing), // unknown allocation: skipped
	}})
	wantIDs(t, "after upsert", serviceIDs(t, f), "s0:critical", "s3:passing", "s4:passing")

	// A status change replaces the row and keeps its create index.
	before, _ := f.State().ServiceRegistrationByID(nil, "s0")
	apply(t, f, next(), structs.ServiceRegistrationRequestType, &structs.ServiceRegistrationEntry{Upserts: []*structs.ServiceRegistration{
		svcReg("s0", "a0", "n0", structs.ServiceStatusPassing)}})
	after, _ := f.State().ServiceRegistrationByID(nil, "s0")
	if after.Status != structs.ServiceStatusPassing || after.CreateIndex != before.CreateIndex || after.ModifyIndex != idx {
		t.Fatalf("status update: %+v (before %+v)", after, before)
	}
	// An unchanged re-send writes nothing: the table index stays.
	tblIdx, _ := f.State().Index("services")
	apply(t, f, next(), structs.ServiceRegistrationRequestType, &structs.ServiceRegistrationEntry{Upserts: []*structs.ServiceRegistration{
		svcReg("s0", "a0", "n0", structs.ServiceStatusPassing)}})
	if again, _ := f.State().Index("services"); again != tblIdx {
		t.Fatalf("an unchanged registration moved the table index %d -> %d", tblIdx, again)
	}

	// Snapshot and restore keep the catalog.
	snap, err := f.Snapshot()
	must(t, err)
	sink := &bufferSink{}
	must(t, snap.Persist(sink))
	f2 := testFSM(t)
	must(t, f2.Restore(io.NopCloser(sink.Reader())))
	wantIDs(t, "restored", serviceIDs(t, f2), "s0:passing", "s3:passing", "s4:passing")
	r, _ := f2.State().ServiceRegistrationByID(nil, "s3")
	if r == nil || r.Port != 8080 || r.Address != "127.0.0.1" || len(r.Tags) != 1 || r.Tags[0] != "v1" {
		t.Fatalf("restored registration: %+v", r)
	}
	inst, _ := f2.State().ServiceByName(nil, "default", "api")
	if len(inst) != 3 {
		t.Fatalf("restored lookup by name: %d instances", len(inst))
	}

	// The allocation ends: its instance goes.
	apply(t, f, next(), structs.AllocClientUpdateRequestType, &structs.AllocClientUpdateEntry{Allocs: []*structs.AllocStatusUpdate{
		{ID: "a0", ClientStatus: structs.AllocClientComplete, ModifyTime: 50}}})
	wantIDs(t, "after a0 completed", serviceIDs(t, f), "s3:passing", "s4:passing")

	// A deletion by ID.
	apply(t, f, next(), structs.ServiceRegistrationRequestType, &structs.ServiceRegistrationEntry{Deletes: []string{"s4", "unknown"}})
	wantIDs(t, "after delete", serviceIDs(t, f), "s3:passing")

	// Its node goes down: its instances go.
	apply(t, f, next(), structs.ServiceRegistrationRequestType, &structs.ServiceRegistrationEntry{Upserts: []*structs.ServiceRegistration{
		svcReg("s4", "a4", "n3", structs.ServiceStatusPassing)}})
	apply(t, f, next(), structs.NodeUpdateStatusRequestType, &structs.NodeStatusEntry{NodeID: "n3", Status: structs.NodeStatusDown, UpdatedAt: 60})
	wantIDs(t, "after n3 went down", serviceIDs(t, f), []string{}...)

	// Collection of an allocation removes what it had (restored from an
	// old snapshot, say): here on the restored FSM, where s3 still stands.
	apply(t, f2, next(), structs.EvalDeleteRequestType, &structs.EvalDeleteEntry{Allocs: []string{"a3"}})
	wantIDs(t, "after a3 was collected", serviceIDs(t, f2), "s0:passing", "s4:passing")
	// A plan that stops an allocation removes its instances at once.
	apply(t, f2, next(), structs.ApplyPlanResultsRequestType, &structs.ApplyPlanResultsEntry{
		AllocsStopped: []*structs.Allocation{{ID: "a4", DesiredStatus: structs.AllocDesiredStop}}, EvalID: "e9", Time: 70})
	wantIDs(t, "after a4 was stopped", serviceIDs(t, f2), "s0:passing")
	// Purging the node removes the rest.
	apply(t, f2, next(), structs.NodeDeregisterRequestType, &structs.NodeDeregisterEntry{NodeIDs: []string{"n0"}})
	wantIDs(t, "after n0 was removed", serviceIDs(t, f2), []string{}...)
}

// TestApplyServiceRegistrationRejectsBadInput: a malformed registration
// fails the whole entry and writes nothing.
func TestApplyServiceRegistrationRejectsBadInput(t *testing.T) {
	f := testFSM(t)
	idx := populate(t, f)
	bad := svcReg("s0", "a0", "n0", "sort of ok")
	res := f.Apply(rawLog(t, idx+1, structs.ServiceRegistrationRequestType, &structs.ServiceRegistrationEntry{
		Upserts: []*structs.ServiceRegistration{svcReg("ok", "a0", "n0", structs.ServiceStatusPassing), bad}}))
	err, _ := res.(error)
	if err == nil {
		t.Fatal("a registration with an invalid status was applied")
	}
	wantIDs(t, "after the refused entry", serviceIDs(t, f), []string{}...)
	t.Logf("refused: %v", err)
}

func rawLog(t *testing.T, index uint64, typ structs.MessageType, msg any) *raft.Log {
	return &raft.Log{Index: index, Type: raft.LogCommand, Data: encode(t, typ, msg)}
}
