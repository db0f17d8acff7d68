package state

import (
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

func svc(id, name, ns, alloc, node string, port int) *structs.ServiceRegistration {
	return &structs.ServiceRegistration{ID: id, ServiceName: name, Namespace: ns, NodeID: node, JobID: "web",
		AllocID: alloc, Address: "10.0.0.1", Port: port, Status: structs.ServiceStatusPassing}
}

// TestServiceCatalogReadsAndWatches: instances are listed by namespace
// and name in order, looked up by name sorted by address and port, and a
// watch on one service fires for its changes only.
func TestServiceCatalogReadsAndWatches(t *testing.T) {
	s := testStore(t)
	must(t, s.UpsertNode(1, mockNode("n1")))
	web, ops := mockJob("web"), mockJob("web")
	ops.Namespace = "ops"
	allocs := []*structs.Allocation{mockAlloc("a1", web, "n1"), mockAlloc("a2", web, "n1"), mockAlloc("a3", ops, "n1")}
	must(t, s.UpsertAllocs(2, allocs))
	must(t, s.Update(3, func(tx *WriteTxn) error {
		return tx.ApplyServiceRegistrations(&structs.ServiceRegistrationEntry{Upserts: []*structs.ServiceRegistration{
			svc("x2", "api", "default", "a2", "n1", 9002), svc("x1", "api", "default", "a1", "n1", 9001),
			svc("y1", "db", "default", "a1", "n1", 5432), svc("z1", "api", "ops", "a3", "n1", 9003),
		}})
	}))
	all, err := s.ServiceRegistrations(nil, "")
	must(t, err)
	if got := ids(all, func(r *structs.ServiceRegistration) string { return r.ID }); asJSON(t, got) != `["x1","x2","y1","z1"]` {
		t.Fatalf("all: %v", got)
	}
	def, _ := s.ServiceRegistrations(nil, "default")
	if len(def) != 3 {
		t.Fatalf("default namespace: %d", len(def))
	}
	api, _ := s.ServiceByName(nil, "", "api")
	if len(api) != 2 || api[0].Port != 9001 || api[1].Port != 9002 {
		t.Fatalf("api in default: %+v", api)
	}
	if stubs := structs.SummarizeServices(all); len(stubs) != 3 || stubs[0].ServiceName != "api" || stubs[0].Instances != 2 || stubs[2].Namespace != "ops" {
		t.Fatalf("summary: %s", asJSON(t, stubs))
	}

	// A watch on api in default: a change to db does not fire it, a
	// change to api does.
	ws := memdb.NewWatchSet()
	_, err = s.ServiceByName(ws, "default", "api")
	must(t, err)
	crit := svc("y1", "db", "default", "a1", "n1", 5432)
	crit.Status = structs.ServiceStatusCritical
	must(t, s.Update(4, func(tx *WriteTxn) error {
		return tx.ApplyServiceRegistrations(&structs.ServiceRegistrationEntry{Upserts: []*structs.ServiceRegistration{crit}})
	}))
	// Watch returns true when it timed out, i.e. nothing fired; a fired
	// channel is ready at once (the write committed before this line).
	if fired := !ws.Watch(time.After(50 * time.Millisecond)); fired {
		t.Fatal("a change to db fired the watch on api")
	}
	must(t, s.Update(5, func(tx *WriteTxn) error {
		return tx.ApplyServiceRegistrations(&structs.ServiceRegistrationEntry{Deletes: []string{"x2"}})
	}))
	if fired := !ws.Watch(time.After(10 * time.Second)); !fired {
		t.Fatal("deleting an api instance did not fire the watch on api")
	}
	if idx, _ := s.Index(TableServices); idx != 5 {
		t.Fatalf("services table index %d, want 5", idx)
	}
}
