package state

import (
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func nsName(n *structs.Namespace) string { return n.Name }

func TestDefaultNamespaceAlwaysPresent(t *testing.T) {
	s := testStore(t)
	ns, err := s.NamespaceByName(nil, "default")
	must(t, err)
	if ns == nil || ns.Name != "default" || ns.CreateIndex != 0 || ns.ModifyIndex != 0 {
		t.Fatalf("default namespace in an empty store: %+v", ns)
	}
	list, err := s.Namespaces(nil)
	must(t, err)
	if got := strings.Join(ids(list, nsName), ","); got != "default" {
		t.Fatalf("namespaces of an empty store: %s", got)
	}
	// Written, it is read back as written, once.
	must(t, s.Update(3, func(tx *WriteTxn) error {
		return tx.UpsertNamespaces([]*structs.Namespace{{Name: "default", Description: "ours"}})
	}))
	ns, _ = s.NamespaceByName(nil, "default")
	if ns.Description != "ours" || ns.CreateIndex != 3 {
		t.Fatalf("written default namespace: %+v", ns)
	}
	list, _ = s.Namespaces(nil)
	if got := strings.Join(ids(list, nsName), ","); got != "default" {
		t.Fatalf("namespaces: %s", got)
	}
}

func TestNamespaces(t *testing.T) {
	s := testStore(t)
	meta := map[string]string{"team": "web"}
	must(t, s.Update(1, func(tx *WriteTxn) error {
		return tx.UpsertNamespaces([]*structs.Namespace{{Name: "prod"}, {Name: "dev", Meta: meta}, {Name: "a_b-C9"}})
	}))
	meta["team"] = "changed by the caller"
	must(t, s.Update(2, func(tx *WriteTxn) error {
		return tx.UpsertNamespaces([]*structs.Namespace{{Name: "prod", Description: "production"}})
	}))
	list, err := s.Namespaces(nil)
	must(t, err)
	if got := strings.Join(ids(list, nsName), ","); got != "a_b-C9,default,dev,prod" {
		t.Fatalf("namespaces %s, want sorted with default", got)
	}
	dev, _ := s.NamespaceByName(nil, "dev")
	if dev == nil || dev.Meta["team"] != "web" {
		t.Fatalf("dev namespace %+v (meta must be a copy)", dev)
	}
	prod, _ := s.NamespaceByName(nil, "prod")
	if prod.Description != "production" || prod.CreateIndex != 1 || prod.ModifyIndex != 2 {
		t.Fatalf("updated namespace %+v", prod)
	}
	if ns, _ := s.NamespaceByName(nil, "nope"); ns != nil {
		t.Fatalf("unknown namespace found: %+v", ns)
	}
	if idx, _ := s.Index(TableNamespaces); idx != 2 {
		t.Fatalf("table index %d, want 2", idx)
	}

	// Every bad name is reported at once, and nothing is written.
	err = s.Update(3, func(tx *WriteTxn) error {
		return tx.UpsertNamespaces([]*structs.Namespace{{Name: "ok"}, {Name: ""}, {Name: "*"},
			{Name: strings.Repeat("x", 129)}, {Name: "dots.not.allowed"}})
	})
	wantErr(t, err, structs.IsValidation, "4 problems", "namespace name is missing", `namespace name "*" is invalid`,
		`"dots.not.allowed" is invalid: use 1 to 128 letters, digits, '-' or '_'`)
	if ns, _ := s.NamespaceByName(nil, "ok"); ns != nil {
		t.Fatal("a rejected upsert wrote a namespace")
	}
	must(t, s.Update(3, func(tx *WriteTxn) error {
		return tx.UpsertNamespaces([]*structs.Namespace{{Name: strings.Repeat("x", 128)}})
	}))
}

func TestDeleteNamespaces(t *testing.T) {
	s := testStore(t)
	must(t, s.Update(1, func(tx *WriteTxn) error {
		return tx.UpsertNamespaces([]*structs.Namespace{{Name: "dev"}, {Name: "dev2"}, {Name: "empty"}})
	}))
	for i, id := range []string{"web", "api"} {
		j := mockJob(id)
		j.Namespace = "dev"
		must(t, s.UpsertJob(uint64(2+i), 1, j))
	}
	other := mockJob("web")
	other.Namespace = "dev2" // shares the prefix "dev": must not count for "dev"
	must(t, s.UpsertJob(4, 1, other))

	err := s.Update(5, func(tx *WriteTxn) error { return tx.DeleteNamespaces([]string{"default"}) })
	wantErr(t, err, structs.IsValidation, "the default namespace cannot be deleted")
	err = s.Update(5, func(tx *WriteTxn) error { return tx.DeleteNamespaces([]string{"ghost"}) })
	wantErr(t, err, structs.IsNotFound, `namespace "ghost"`)
	err = s.Update(5, func(tx *WriteTxn) error { return tx.DeleteNamespaces([]string{"empty", "dev"}) })
	wantErr(t, err, isConflict, `namespace "dev" still has 2 jobs`, "stop and purge them first")
	if ns, _ := s.NamespaceByName(nil, "empty"); ns == nil {
		t.Fatal("a refused delete removed another namespace of the same entry")
	}
	err = s.Update(5, func(tx *WriteTxn) error { return tx.DeleteNamespaces([]string{"dev2"}) })
	wantErr(t, err, isConflict, `namespace "dev2" still has 1 job;`, "purge it first")

	// A stopped job still counts; a purged one does not.
	must(t, s.StopJob(6, "dev", "web", 10))
	must(t, s.DeleteJob(7, "dev", "api"))
	err = s.Update(8, func(tx *WriteTxn) error { return tx.DeleteNamespaces([]string{"dev"}) })
	wantErr(t, err, isConflict, "still has 1 job")
	must(t, s.DeleteJob(8, "dev", "web"))
	must(t, s.Update(9, func(tx *WriteTxn) error { return tx.DeleteNamespaces([]string{"dev", "empty"}) }))
	list, _ := s.Namespaces(nil)
	if got := strings.Join(ids(list, nsName), ","); got != "default,dev2" {
		t.Fatalf("namespaces after delete: %s", got)
	}
	if idx, _ := s.Index(TableNamespaces); idx != 9 {
		t.Fatalf("table index %d, want 9", idx)
	}
}
