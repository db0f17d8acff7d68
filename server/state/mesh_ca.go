package state

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// The mesh CA's roots (server/mesh_ca.go). A row holds a root's private
// key: readers outside the servers get MeshCARootRecord.Public only.
const TableMeshCARoots = "mesh_ca_roots"

// MeshCARootRecord is the snapshot record of a root, numbered after its
// Raft message type and ignorable by a server older than the mesh.
const MeshCARootRecord RecordType = 60 | IgnoreUnknownRecordFlag

func init() {
	// Before the index table, which persistTables keeps last.
	last := len(persistTables) - 1
	persistTables = append(persistTables[:last:last], persistTable{
		TableMeshCARoots, MeshCARootRecord, func() any { return new(structs.MeshCARootRecord) },
	}, persistTables[last])
}

// meshCATables adds the roots' table to the schema.
func meshCATables(tables map[string]*memdb.TableSchema) {
	tables[TableMeshCARoots] = &memdb.TableSchema{Name: TableMeshCARoots, Indexes: map[string]*memdb.IndexSchema{
		indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
	}}
}

// ApplyMeshCARoots applies a roots entry: deletions, then upserts. It
// refuses (and so writes nothing) when the result would have more than one
// active root, or an upsert lacks its certificate or key.
func (tx *WriteTxn) ApplyMeshCARoots(e *structs.MeshCARootsEntry) error {
	if len(e.Deletes) > 0 {
		if err := deleteRows[structs.MeshCARootRecord](tx, TableMeshCARoots, "mesh CA root", e.Deletes); err != nil {
			return err
		}
	}
	for _, r := range e.Upserts {
		if r == nil || r.ID == "" || r.CertPEM == "" || r.PrivateKeyPEM == "" {
			return &structs.ValidationError{Problems: []string{"a mesh CA root needs an ID, a certificate and a key"}}
		}
		old, err := row[structs.MeshCARootRecord](tx.txn, TableMeshCARoots, indexID, "mesh CA root", r.ID)
		if err != nil {
			return err
		}
		c := *r
		c.CreateIndex, c.ModifyIndex = tx.index, tx.index
		if old != nil {
			c.CreateIndex = old.CreateIndex
		}
		if err := tx.txn.Insert(TableMeshCARoots, &c); err != nil {
			return fmt.Errorf("store mesh CA root %s: %w", c.ID, err)
		}
		tx.touchTable(TableMeshCARoots)
	}
	return tx.checkOneActiveRoot()
}

func (tx *WriteTxn) checkOneActiveRoot() error {
	it, err := tx.txn.Get(TableMeshCARoots, indexID)
	if err != nil {
		return fmt.Errorf("list mesh CA roots: %w", err)
	}
	var active []string
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if r := raw.(*structs.MeshCARootRecord); r.Active {
			active = append(active, r.ID)
		}
	}
	if len(active) > 1 {
		return fmt.Errorf("mesh CA: the entry would leave %d active roots (%v): refused", len(active), active)
	}
	return nil
}

// MeshCARoots returns every root (with private keys: servers only), by ID.
func (s *StateStore) MeshCARoots(ws memdb.WatchSet) ([]*structs.MeshCARootRecord, error) {
	return allRows[structs.MeshCARootRecord](s, ws, TableMeshCARoots, indexID)
}

// MeshCAActiveRoot returns the active root, or nil.
func (s *StateStore) MeshCAActiveRoot(ws memdb.WatchSet) (*structs.MeshCARootRecord, error) {
	roots, err := s.MeshCARoots(ws)
	if err != nil {
		return nil, err
	}
	for _, r := range roots {
		if r.Active {
			return r, nil
		}
	}
	return nil, nil
}
