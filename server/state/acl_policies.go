package state

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// UpsertACLPolicies stores copies of the policies, keyed by name. The rules
// are stored as given: parsing them is the caller's job (package acl),
// done before the entry reaches Raft.
func (tx *WriteTxn) UpsertACLPolicies(policies []*structs.ACLPolicy) error {
	for _, p := range policies {
		if p == nil {
			return &structs.ValidationError{Problems: []string{"a policy in the list is empty"}}
		}
		var v structs.ValidationError
		checkName(&v, "policy", p.Name)
		if err := v.ErrorOrNil(); err != nil {
			return err
		}
		old, err := tx.aclPolicy(p.Name)
		if err != nil {
			return err
		}
		c := *p
		c.CreateIndex = tx.index
		if old != nil {
			c.CreateIndex = old.CreateIndex
		}
		c.ModifyIndex = tx.index
		if err := tx.txn.Insert(TableACLPolicies, &c); err != nil {
			return fmt.Errorf("store ACL policy %q: %w", c.Name, err)
		}
		tx.touchTable(TableACLPolicies)
	}
	return nil
}

// DeleteACLPolicies removes policies by name. An unknown name fails the
// whole transaction, so nothing is deleted.
func (tx *WriteTxn) DeleteACLPolicies(names []string) error {
	return deleteRows[structs.ACLPolicy](tx, TableACLPolicies, "ACL policy", names)
}

func (tx *WriteTxn) aclPolicy(name string) (*structs.ACLPolicy, error) {
	return row[structs.ACLPolicy](tx.txn, TableACLPolicies, indexID, "ACL policy", name)
}

// ACLPolicyByName returns a policy, or nil.
func (s *StateStore) ACLPolicyByName(ws memdb.WatchSet, name string) (*structs.ACLPolicy, error) {
	return watchRow[structs.ACLPolicy](s, ws, TableACLPolicies, indexID, "ACL policy", name)
}

// ACLPolicies returns every policy, sorted by name (the order of the ID
// index).
func (s *StateStore) ACLPolicies(ws memdb.WatchSet) ([]*structs.ACLPolicy, error) {
	return allRows[structs.ACLPolicy](s, ws, TableACLPolicies, indexID)
}
