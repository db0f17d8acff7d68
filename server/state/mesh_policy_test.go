package state

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// TestDeleteNamespaceTakesItsMeshPolicy: deleting a namespace deletes the
// intentions into it and its splits, and only those; a namespace created
// again with the name starts without them.
func TestDeleteNamespaceTakesItsMeshPolicy(t *testing.T) {
	s := testStore(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Update(1, func(tx *WriteTxn) error {
		return tx.UpsertNamespaces([]*structs.Namespace{{Name: "dev"}, {Name: "dev2"}})
	}))
	in := func(id, srcNS, dstNS string) *structs.MeshIntentionEntry {
		return &structs.MeshIntentionEntry{Op: structs.MeshOpUpsert, Intention: &structs.Intention{ID: id,
			SourceNamespace: srcNS, SourceName: "web", DestinationNamespace: dstNS, DestinationName: "api", Action: "allow"}}
	}
	split := func(ns string) *structs.MeshSplitEntry {
		return &structs.MeshSplitEntry{Op: structs.MeshOpUpsert, Split: &structs.MeshSplit{Namespace: ns, Service: "api",
			Subsets: []*structs.MeshSubset{{Name: "all", Weight: 100}}}}
	}
	must(s.Update(2, func(tx *WriteTxn) error {
		for _, e := range []*structs.MeshIntentionEntry{in("into-dev", "default", "dev"), in("from-dev", "dev", "dev2"), in("into-dev2", "dev2", "dev2")} {
			if err := tx.ApplyMeshIntention(e); err != nil {
				return err
			}
		}
		if err := tx.ApplyMeshSplit(split("dev")); err != nil {
			return err
		}
		return tx.ApplyMeshSplit(split("dev2"))
	}))
	must(s.Update(3, func(tx *WriteTxn) error { return tx.DeleteNamespaces([]string{"dev"}) }))

	left, err := s.MeshIntentions(nil)
	must(err)
	if len(left) != 2 || left[0].ID == "into-dev" || left[1].ID == "into-dev" {
		t.Fatalf("intentions after deleting dev: %+v %+v", left[0], left[1])
	}
	splits, err := s.MeshSplits(nil, "")
	must(err)
	if len(splits) != 1 || splits[0].Namespace != "dev2" {
		t.Fatalf("splits after deleting dev: %+v", splits)
	}
	for _, tbl := range []string{TableMeshIntentions, TableMeshSplits} {
		if idx, _ := s.Index(tbl); idx != 3 {
			t.Errorf("index of %s = %d, want 3 (blocking readers must wake)", tbl, idx)
		}
	}
}
