package state

import (
	"bytes"
	"testing"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

func meshRoot(id string, active bool) *structs.MeshCARootRecord {
	return &structs.MeshCARootRecord{ID: id, TrustDomain: "global.appmesh", CertPEM: "cert-" + id,
		PrivateKeyPEM: "key-" + id, Active: active, NotBefore: 1, NotAfter: 2}
}

// TestMeshCARoots: at most one active root, a rotation swaps it in one
// entry, the table's index moves, and roots with their keys survive a
// snapshot.
func TestMeshCARoots(t *testing.T) {
	s := testStore(t)
	apply := func(idx uint64, e *structs.MeshCARootsEntry) error {
		return s.Update(idx, func(tx *WriteTxn) error { return tx.ApplyMeshCARoots(e) })
	}
	must(t, apply(10, &structs.MeshCARootsEntry{Upserts: []*structs.MeshCARootRecord{meshRoot("a", true)}}))
	if err := apply(11, &structs.MeshCARootsEntry{Upserts: []*structs.MeshCARootRecord{meshRoot("b", true)}}); err == nil {
		t.Fatal("a second active root was stored")
	}
	if roots, _ := s.MeshCARoots(nil); len(roots) != 1 {
		t.Fatalf("a refused entry left %d roots", len(roots))
	}
	retired := meshRoot("a", false)
	retired.RotatedAt, retired.TrustUntil = 100, 200
	must(t, apply(12, &structs.MeshCARootsEntry{Upserts: []*structs.MeshCARootRecord{retired, meshRoot("b", true)}}))
	if idx, _ := s.Index(TableMeshCARoots); idx != 12 {
		t.Fatalf("roots index %d, want 12", idx)
	}
	active, _ := s.MeshCAActiveRoot(nil)
	if active == nil || active.ID != "b" || active.CreateIndex != 12 {
		t.Fatalf("active root %+v", active)
	}
	a, _ := row[structs.MeshCARootRecord](s.db.Txn(false), TableMeshCARoots, indexID, "root", "a")
	if a.CreateIndex != 10 || a.ModifyIndex != 12 || a.Active {
		t.Fatalf("retired root %+v", a)
	}
	if err := apply(13, &structs.MeshCARootsEntry{Upserts: []*structs.MeshCARootRecord{{ID: "c"}}}); err == nil {
		t.Fatal("a root without certificate and key was stored")
	}

	r, err := Restore(bytes.NewReader(persist(t, s)), hclog.NewNullLogger())
	must(t, err)
	roots, _ := r.MeshCARoots(nil)
	if len(roots) != 2 || roots[1].PrivateKeyPEM != "key-b" || !roots[1].Active || roots[0].TrustUntil != 200 {
		t.Fatalf("restored roots %+v", roots)
	}
	if idx, _ := r.Index(TableMeshCARoots); idx != 12 {
		t.Fatalf("restored roots index %d", idx)
	}
	must(t, r.Update(14, func(tx *WriteTxn) error {
		return tx.ApplyMeshCARoots(&structs.MeshCARootsEntry{Deletes: []string{"a"}})
	}))
	if roots, _ := r.MeshCARoots(nil); len(roots) != 1 {
		t.Fatalf("after delete: %d roots", len(roots))
	}
}
