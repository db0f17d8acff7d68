package state

import (
	"fmt"
	"sort"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// The built-in service catalog (`service { provider = "appmesh" }`): one
// row per instance, written by clients through Raft and removed by the
// state itself when the instance's allocation ends, is collected, or its
// node goes down or away, so that no dead instance outlives what proves
// it dead.
const (
	TableServices = "services"

	// indexService finds the instances of one service of one namespace.
	indexService = "service"
	indexAlloc   = "alloc"
)

// ServiceRecord is the snapshot record of a catalog row, ignorable by a
// server older than the catalog.
const ServiceRecord RecordType = 50 | IgnoreUnknownRecordFlag

// serviceTables adds the catalog table to the schema.
func serviceTables(tables map[string]*memdb.TableSchema) {
	tables[TableServices] = &memdb.TableSchema{Name: TableServices, Indexes: map[string]*memdb.IndexSchema{
		indexID:      {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		indexService: {Name: indexService, Indexer: nsIDIndex("ServiceName")},
		indexAlloc:   {Name: indexAlloc, Indexer: &memdb.StringFieldIndex{Field: "AllocID"}},
		indexNode:    {Name: indexNode, Indexer: &memdb.StringFieldIndex{Field: "NodeID"}},
	}}
}

func init() {
	// Before the index table, which persistTables keeps last.
	last := len(persistTables) - 1
	persistTables = append(persistTables[:last:last], persistTable{
		TableServices, ServiceRecord, func() any { return new(structs.ServiceRegistration) },
	}, persistTables[last])
}

// ApplyServiceRegistrations applies a catalog entry: deletions, then
// upserts. An upsert for an allocation that is unknown, terminal or not on
// the registration's node, or on a node that is down or unknown, is
// skipped: the client's call raced the allocation's end, and storing it
// would leave an instance nothing removes.
func (tx *WriteTxn) ApplyServiceRegistrations(e *structs.ServiceRegistrationEntry) error {
	for _, id := range e.Deletes {
		if err := tx.deleteService(id); err != nil {
			return err
		}
	}
	for _, r := range e.Upserts {
		if err := tx.upsertService(r); err != nil {
			return err
		}
	}
	return nil
}

func (tx *WriteTxn) upsertService(r *structs.ServiceRegistration) error {
	if err := r.Validate(); err != nil {
		return err
	}
	live, err := tx.serviceOwnerLive(r)
	if err != nil || !live {
		if err == nil {
			tx.store.logger.Debug("service registration for an ended allocation skipped", "id", r.ID, "alloc_id", r.AllocID)
		}
		return err
	}
	old, err := row[structs.ServiceRegistration](tx.txn, TableServices, indexID, "service registration", r.ID)
	if err != nil {
		return err
	}
	c := r.Copy()
	c.Namespace = namespaceOrDefault(c.Namespace)
	c.CreateIndex, c.ModifyIndex = tx.index, tx.index
	if old != nil {
		if old.Equal(c) {
			return nil // a re-sent registration changes nothing, wakes no one
		}
		c.CreateIndex = old.CreateIndex
	}
	if err := tx.txn.Insert(TableServices, c); err != nil {
		return fmt.Errorf("store service registration %q: %w", c.ID, err)
	}
	tx.touchTable(TableServices)
	return nil
}

// serviceOwnerLive tells whether the registration's allocation runs on the
// registration's node and that node is not down.
func (tx *WriteTxn) serviceOwnerLive(r *structs.ServiceRegistration) (bool, error) {
	a, err := tx.alloc(r.AllocID)
	if err != nil || a == nil || a.TerminalStatus() || a.NodeID != r.NodeID {
		return false, err
	}
	if r.JobID != a.JobID || namespaceOrDefault(r.Namespace) != a.Namespace {
		return false, fmt.Errorf("service registration %q: job or namespace does not match allocation %q", r.ID, r.AllocID)
	}
	n, err := tx.node(r.NodeID)
	if err != nil || n == nil || n.Status == structs.NodeStatusDown {
		return false, err
	}
	return true, nil
}

// deleteService removes one registration; an unknown ID is not an error
// (the state may have removed it with its allocation already).
func (tx *WriteTxn) deleteService(id string) error {
	old, err := row[structs.ServiceRegistration](tx.txn, TableServices, indexID, "service registration", id)
	if err != nil || old == nil {
		return err
	}
	if err := tx.txn.Delete(TableServices, old); err != nil {
		return fmt.Errorf("delete service registration %q: %w", id, err)
	}
	tx.touchTable(TableServices)
	return nil
}

// deleteServicesBy removes every registration whose index holds key: the
// allocation's (index alloc) or the node's (index node).
func (tx *WriteTxn) deleteServicesBy(index, key string) error {
	n, err := tx.txn.DeleteAll(TableServices, index, key)
	if err != nil {
		return fmt.Errorf("delete service registrations by %s %q: %w", index, key, err)
	}
	if n > 0 {
		tx.touchTable(TableServices)
	}
	return nil
}

// ServiceRegistrations returns every registration of a namespace ("" for
// all namespaces), sorted by namespace, service name and ID.
func (s *StateStore) ServiceRegistrations(ws memdb.WatchSet, namespace string) ([]*structs.ServiceRegistration, error) {
	it, err := s.db.Txn(false).Get(TableServices, indexID)
	if err != nil {
		return nil, fmt.Errorf("list service registrations: %w", err)
	}
	ws.Add(it.WatchCh())
	var out []*structs.ServiceRegistration
	for raw := it.Next(); raw != nil; raw = it.Next() {
		r := raw.(*structs.ServiceRegistration)
		if namespace == "" || r.Namespace == namespace {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.ServiceName != b.ServiceName {
			return a.ServiceName < b.ServiceName
		}
		return a.ID < b.ID
	})
	return out, nil
}

// ServiceByName returns the instances of one service of a namespace,
// sorted by address, port and ID; ws is told of changes to just them.
func (s *StateStore) ServiceByName(ws memdb.WatchSet, namespace, name string) ([]*structs.ServiceRegistration, error) {
	it, err := s.db.Txn(false).Get(TableServices, indexService, namespaceOrDefault(namespace), name)
	if err != nil {
		return nil, fmt.Errorf("list instances of service %q: %w", name, err)
	}
	ws.Add(it.WatchCh())
	var out []*structs.ServiceRegistration
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*structs.ServiceRegistration))
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Address != b.Address {
			return a.Address < b.Address
		}
		if a.Port != b.Port {
			return a.Port < b.Port
		}
		return a.ID < b.ID
	})
	return out, nil
}

// ServiceRegistrationByID returns one registration, or nil.
func (s *StateStore) ServiceRegistrationByID(ws memdb.WatchSet, id string) (*structs.ServiceRegistration, error) {
	return watchRow[structs.ServiceRegistration](s, ws, TableServices, indexID, "service registration", id)
}

// ServiceRegistrationsByAlloc returns the registrations of an allocation.
func (s *StateStore) ServiceRegistrationsByAlloc(ws memdb.WatchSet, allocID string) ([]*structs.ServiceRegistration, error) {
	it, err := s.db.Txn(false).Get(TableServices, indexAlloc, allocID)
	if err != nil {
		return nil, fmt.Errorf("list service registrations of allocation %q: %w", allocID, err)
	}
	ws.Add(it.WatchCh())
	var out []*structs.ServiceRegistration
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*structs.ServiceRegistration))
	}
	return out, nil
}
