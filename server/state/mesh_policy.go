package state

import (
	"fmt"
	"sort"

	"github.com/appmesh/appmesh/mesh/intention"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// The mesh's policy: intentions (who may connect to whom) and traffic
// splits (how a service's traffic is shared between its subsets). Both
// are small tables read whole by proxies through blocking queries, so a
// write touches its table's index and wakes them at once.
const (
	TableMeshIntentions = "mesh_intentions"
	TableMeshSplits     = "mesh_splits"

	// indexSrcDst finds the one intention of a source and destination.
	indexSrcDst = "src_dst"
)

// Snapshot records, ignorable by a server older than the mesh (it
// enforces no intention, so it loses nothing it would use).
const (
	MeshIntentionRecord RecordType = 61 | IgnoreUnknownRecordFlag
	MeshSplitRecord     RecordType = 62 | IgnoreUnknownRecordFlag
)

func meshPolicyTables(tables map[string]*memdb.TableSchema) {
	str := func(f string) *memdb.StringFieldIndex { return &memdb.StringFieldIndex{Field: f} }
	tables[TableMeshIntentions] = &memdb.TableSchema{Name: TableMeshIntentions, Indexes: map[string]*memdb.IndexSchema{
		indexID: {Name: indexID, Unique: true, Indexer: str("ID")},
		// memdb does not refuse a duplicate in a unique secondary index, so
		// upsertIntention looks the pair up before it inserts.
		indexSrcDst: {Name: indexSrcDst, Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
			str("SourceNamespace"), str("SourceName"), str("DestinationNamespace"), str("DestinationName"),
		}}},
	}}
	tables[TableMeshSplits] = &memdb.TableSchema{Name: TableMeshSplits, Indexes: map[string]*memdb.IndexSchema{
		indexID: {Name: indexID, Unique: true, Indexer: nsIDIndex("Service")},
	}}
}

func init() {
	// Before the index table, which persistTables keeps last.
	last := len(persistTables) - 1
	persistTables = append(persistTables[:last:last],
		persistTable{TableMeshIntentions, MeshIntentionRecord, func() any { return new(structs.Intention) }},
		persistTable{TableMeshSplits, MeshSplitRecord, func() any { return new(structs.MeshSplit) }},
		persistTables[last])
}

// ApplyMeshIntention applies one intention entry.
func (tx *WriteTxn) ApplyMeshIntention(e *structs.MeshIntentionEntry) error {
	switch e.Op {
	case structs.MeshOpUpsert:
		return tx.upsertIntention(e.Intention, e.CreateOnly)
	case structs.MeshOpDelete:
		return tx.deleteIntention(e.DeleteID)
	default:
		return fmt.Errorf("intention entry: unknown op %q", e.Op)
	}
}

func (tx *WriteTxn) intentionByPair(in *structs.Intention) (*structs.Intention, error) {
	raw, err := tx.txn.First(TableMeshIntentions, indexSrcDst,
		in.SourceNamespace, in.SourceName, in.DestinationNamespace, in.DestinationName)
	if err != nil {
		return nil, fmt.Errorf("read intention %s: %w", pairString(in), err)
	}
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Intention), nil
}

func pairString(in *structs.Intention) string {
	return fmt.Sprintf("%s/%s => %s/%s", in.SourceNamespace, in.SourceName, in.DestinationNamespace, in.DestinationName)
}

// upsertIntention stores an intention. One with the same source and
// destination as a stored one replaces it and keeps its ID (unless
// createOnly); an ID that names a stored intention moves that one.
func (tx *WriteTxn) upsertIntention(in *structs.Intention, createOnly bool) error {
	if in == nil || in.ID == "" {
		return fmt.Errorf("intention entry: intention or its ID is missing")
	}
	if err := intention.Validate(in); err != nil {
		return err
	}
	byPair, err := tx.intentionByPair(in)
	if err != nil {
		return err
	}
	byID, err := row[structs.Intention](tx.txn, TableMeshIntentions, indexID, "intention", in.ID)
	if err != nil {
		return err
	}
	c := *in
	c.Precedence = intention.Precedence(&c)
	c.CreateIndex, c.ModifyIndex = tx.index, tx.index
	switch {
	case byPair != nil && createOnly:
		return fmt.Errorf("%w: an intention %s already exists (ID %s): replace it (-replace) or delete it first",
			structs.ErrConflict, pairString(in), byPair.ID)
	case byPair != nil && byID != nil && byPair.ID != byID.ID:
		return fmt.Errorf("%w: intention %s cannot take %s: intention %s already has it",
			structs.ErrConflict, in.ID, pairString(in), byPair.ID)
	case byPair != nil:
		c.ID, c.CreateIndex = byPair.ID, byPair.CreateIndex
		if sameIntention(byPair, &c) {
			return nil // nothing changes: wake no proxy
		}
	case byID != nil:
		c.CreateIndex = byID.CreateIndex
	}
	if err := tx.txn.Insert(TableMeshIntentions, &c); err != nil {
		return fmt.Errorf("store intention %s: %w", pairString(&c), err)
	}
	tx.touchTable(TableMeshIntentions)
	return nil
}

func sameIntention(a, b *structs.Intention) bool {
	return a.Action == b.Action && a.Description == b.Description && a.Precedence == b.Precedence
}

func (tx *WriteTxn) deleteIntention(id string) error {
	return deleteRows[structs.Intention](tx, TableMeshIntentions, "intention", []string{id})
}

// MeshIntentions returns every intention, most precise first (then by
// source and destination), the order in which a reader would decide.
func (s *StateStore) MeshIntentions(ws memdb.WatchSet) ([]*structs.Intention, error) {
	out, err := allRows[structs.Intention](s, ws, TableMeshIntentions, indexID)
	if err != nil {
		return nil, err
	}
	SortIntentions(out)
	return out, nil
}

// SortIntentions sorts by precedence (highest first), then by source and
// destination, then ID, so that lists read the same every time.
func SortIntentions(out []*structs.Intention) {
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Precedence != b.Precedence {
			return a.Precedence > b.Precedence
		}
		if ka, kb := pairString(a), pairString(b); ka != kb {
			return ka < kb
		}
		return a.ID < b.ID
	})
}

// MeshIntentionByID returns one intention, or nil.
func (s *StateStore) MeshIntentionByID(ws memdb.WatchSet, id string) (*structs.Intention, error) {
	return watchRow[structs.Intention](s, ws, TableMeshIntentions, indexID, "intention", id)
}

// MeshIntentionByPair returns the intention from one source to one
// destination, or nil.
func (s *StateStore) MeshIntentionByPair(ws memdb.WatchSet, srcNS, src, dstNS, dst string) (*structs.Intention, error) {
	ch, raw, err := s.db.Txn(false).FirstWatch(TableMeshIntentions, indexSrcDst, srcNS, src, dstNS, dst)
	if err != nil {
		return nil, fmt.Errorf("read intention %s/%s => %s/%s: %w", srcNS, src, dstNS, dst, err)
	}
	ws.Add(ch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Intention), nil
}

// ApplyMeshSplit applies one split entry.
func (tx *WriteTxn) ApplyMeshSplit(e *structs.MeshSplitEntry) error {
	switch e.Op {
	case structs.MeshOpUpsert:
		return tx.upsertSplit(e.Split)
	case structs.MeshOpDelete:
		old, err := tx.split(namespaceOrDefault(e.Namespace), e.Service)
		if err != nil {
			return err
		}
		if old == nil {
			return fmt.Errorf("split of service %q in namespace %q: %w", e.Service, namespaceOrDefault(e.Namespace), structs.ErrNotFound)
		}
		if err := tx.txn.Delete(TableMeshSplits, old); err != nil {
			return fmt.Errorf("delete split of service %q: %w", e.Service, err)
		}
		tx.touchTable(TableMeshSplits)
		return nil
	default:
		return fmt.Errorf("split entry: unknown op %q", e.Op)
	}
}

func (tx *WriteTxn) split(ns, service string) (*structs.MeshSplit, error) {
	raw, err := tx.txn.First(TableMeshSplits, indexID, ns, service)
	if err != nil {
		return nil, fmt.Errorf("read split of service %q: %w", service, err)
	}
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.MeshSplit), nil
}

func (tx *WriteTxn) upsertSplit(sp *structs.MeshSplit) error {
	if err := sp.Validate(); err != nil {
		return err
	}
	c := sp.Copy()
	c.Namespace = namespaceOrDefault(c.Namespace)
	old, err := tx.split(c.Namespace, c.Service)
	if err != nil {
		return err
	}
	c.CreateIndex, c.ModifyIndex = tx.index, tx.index
	if old != nil {
		c.CreateIndex = old.CreateIndex
	}
	if err := tx.txn.Insert(TableMeshSplits, c); err != nil {
		return fmt.Errorf("store split of service %q: %w", c.Service, err)
	}
	tx.touchTable(TableMeshSplits)
	return nil
}

// MeshSplits returns the splits of a namespace ("" for all), sorted by
// namespace and service.
func (s *StateStore) MeshSplits(ws memdb.WatchSet, namespace string) ([]*structs.MeshSplit, error) {
	all, err := allRows[structs.MeshSplit](s, ws, TableMeshSplits, indexID)
	if err != nil {
		return nil, err
	}
	out := all[:0:0]
	for _, sp := range all {
		if namespace == "" || sp.Namespace == namespace {
			out = append(out, sp)
		}
	}
	return out, nil
}

// MeshSplit returns the split of one service, or nil.
func (s *StateStore) MeshSplit(ws memdb.WatchSet, namespace, service string) (*structs.MeshSplit, error) {
	ch, raw, err := s.db.Txn(false).FirstWatch(TableMeshSplits, indexID, namespaceOrDefault(namespace), service)
	if err != nil {
		return nil, fmt.Errorf("read split of service %q: %w", service, err)
	}
	ws.Add(ch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.MeshSplit), nil
}

// deleteMeshPolicyOf removes what belongs to a namespace being deleted:
// the intentions into it and its splits. They would otherwise outlive
// it, unreachable by any namespace rule, and apply again to a namespace
// created later with the same name.
func (tx *WriteTxn) deleteMeshPolicyOf(ns string) error {
	it, err := tx.txn.Get(TableMeshIntentions, indexID)
	if err != nil {
		return fmt.Errorf("list intentions of namespace %q: %w", ns, err)
	}
	var gone []*structs.Intention
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if in := raw.(*structs.Intention); in.DestinationNamespace == ns {
			gone = append(gone, in)
		}
	}
	for _, in := range gone {
		if err := tx.txn.Delete(TableMeshIntentions, in); err != nil {
			return fmt.Errorf("delete intention %s: %w", in.ID, err)
		}
		tx.touchTable(TableMeshIntentions)
	}
	n, err := tx.txn.DeleteAll(TableMeshSplits, indexID+"_prefix", ns, "")
	if err != nil {
		return fmt.Errorf("delete splits of namespace %q: %w", ns, err)
	}
	if n > 0 {
		tx.touchTable(TableMeshSplits)
	}
	return nil
}
