package state

import (
	"fmt"
	"sort"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// defaultNamespace is what reads return for the "default" namespace until
// an operator writes it (to give it a description, say): it always exists,
// so it needs no write to come into being.
func defaultNamespace() *structs.Namespace {
	return &structs.Namespace{Name: structs.DefaultNamespace, Description: "Default shared namespace"}
}

// UpsertNamespaces stores copies of the namespaces, keyed by name.
func (tx *WriteTxn) UpsertNamespaces(namespaces []*structs.Namespace) error {
	var v structs.ValidationError
	for _, ns := range namespaces {
		if ns == nil {
			v.Add("", "a namespace in the list is empty")
			continue
		}
		checkName(&v, "namespace", ns.Name)
		if err := structs.ValidateMeshDefaultAction(ns.MeshDefaultAction); err != nil {
			v.Add("namespace "+ns.Name, "%v", err)
		}
	}
	if err := v.ErrorOrNil(); err != nil {
		return err
	}
	for _, ns := range namespaces {
		old, err := tx.namespace(ns.Name)
		if err != nil {
			return err
		}
		c := *ns
		if ns.Meta != nil {
			c.Meta = make(map[string]string, len(ns.Meta))
			for k, val := range ns.Meta {
				c.Meta[k] = val
			}
		}
		c.CreateIndex = tx.index
		if old != nil {
			c.CreateIndex = old.CreateIndex
		}
		c.ModifyIndex = tx.index
		if err := tx.txn.Insert(TableNamespaces, &c); err != nil {
			return fmt.Errorf("store namespace %q: %w", c.Name, err)
		}
		tx.touchTable(TableNamespaces)
	}
	return nil
}

// DeleteNamespaces removes namespaces by name. It refuses the default
// namespace, unknown names, and namespaces that still hold jobs (their
// allocations and evaluations would be stranded where no policy could
// name them). One refusal fails the whole transaction.
func (tx *WriteTxn) DeleteNamespaces(names []string) error {
	for _, name := range names {
		if name == structs.DefaultNamespace {
			return &structs.ValidationError{Problems: []string{"the default namespace cannot be deleted"}}
		}
		old, err := tx.namespace(name)
		if err != nil {
			return err
		}
		if old == nil {
			return fmt.Errorf("delete namespace %q: %w", name, structs.ErrNotFound)
		}
		n, err := tx.jobsInNamespace(name)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: namespace %q still has %d %s; stop and purge %s first "+
				"(appmesh job stop -purge, in that namespace), then delete the namespace",
				structs.ErrConflict, name, n, plural(n, "job", "jobs"), plural(n, "it", "them"))
		}
		if err := tx.txn.Delete(TableNamespaces, old); err != nil {
			return fmt.Errorf("delete namespace %q: %w", name, err)
		}
		tx.touchTable(TableNamespaces)
		if err := tx.deleteMeshPolicyOf(name); err != nil {
			return err
		}
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// jobsInNamespace counts the jobs stored in a namespace, stopped ones
// included (they keep their allocations until purged).
func (tx *WriteTxn) jobsInNamespace(namespace string) (int, error) {
	// Both parts of the compound key: with the namespace alone as a
	// prefix, "dev" would also match "dev2".
	it, err := tx.txn.Get(TableJobs, indexID+"_prefix", namespace, "")
	if err != nil {
		return 0, fmt.Errorf("list jobs of namespace %q: %w", namespace, err)
	}
	n := 0
	for raw := it.Next(); raw != nil; raw = it.Next() {
		n++
	}
	return n, nil
}

func (tx *WriteTxn) namespace(name string) (*structs.Namespace, error) {
	return row[structs.Namespace](tx.txn, TableNamespaces, indexID, "namespace", name)
}

// NamespaceByName returns a namespace, or nil. The default namespace is
// always returned, with index 0 if it was never written.
func (s *StateStore) NamespaceByName(ws memdb.WatchSet, name string) (*structs.Namespace, error) {
	ns, err := watchRow[structs.Namespace](s, ws, TableNamespaces, indexID, "namespace", name)
	if ns == nil && err == nil && name == structs.DefaultNamespace {
		return defaultNamespace(), nil
	}
	return ns, err
}

// Namespaces returns every namespace sorted by name, the default one
// included even if it was never written.
func (s *StateStore) Namespaces(ws memdb.WatchSet) ([]*structs.Namespace, error) {
	out, err := allRows[structs.Namespace](s, ws, TableNamespaces, indexID)
	if err != nil {
		return nil, err
	}
	haveDefault := false
	for _, ns := range out {
		haveDefault = haveDefault || ns.Name == structs.DefaultNamespace
	}
	if !haveDefault {
		out = append(out, defaultNamespace())
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	}
	return out, nil
}
