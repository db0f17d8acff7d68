package state

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// UpsertACLRoles stores copies of the roles, keyed by ID. Role names are
// unique: tokens refer to roles by name, so two roles of one name would
// make a token's permissions ambiguous. Renaming a role (same ID, new name)
// is allowed. Whether the named policies exist is not checked here: a role
// may name a policy that is written later, and a missing policy grants
// nothing.
func (tx *WriteTxn) UpsertACLRoles(roles []*structs.ACLRole) error {
	for _, r := range roles {
		if r == nil {
			return &structs.ValidationError{Problems: []string{"a role in the list is empty"}}
		}
		var v structs.ValidationError
		if r.ID == "" {
			v.Add("", "role ID is missing")
		}
		checkName(&v, "role", r.Name)
		if err := v.ErrorOrNil(); err != nil {
			return err
		}
		other, err := row[structs.ACLRole](tx.txn, TableACLRoles, indexName, "ACL role named", r.Name)
		if err != nil {
			return err
		}
		if other != nil && other.ID != r.ID {
			return fmt.Errorf("%w: role name %q is already used by role %q; pick another name or update that role",
				structs.ErrConflict, r.Name, other.ID)
		}
		old, err := tx.aclRole(r.ID)
		if err != nil {
			return err
		}
		c := *r
		c.Policies = copyStrings(r.Policies)
		c.CreateIndex = tx.index
		if old != nil {
			c.CreateIndex = old.CreateIndex
		}
		c.ModifyIndex = tx.index
		if err := tx.txn.Insert(TableACLRoles, &c); err != nil {
			return fmt.Errorf("store ACL role %q: %w", c.Name, err)
		}
		tx.touchTable(TableACLRoles)
	}
	return nil
}

// DeleteACLRoles removes roles by ID. An unknown ID fails the whole
// transaction, so nothing is deleted.
func (tx *WriteTxn) DeleteACLRoles(ids []string) error {
	return deleteRows[structs.ACLRole](tx, TableACLRoles, "ACL role", ids)
}

func (tx *WriteTxn) aclRole(id string) (*structs.ACLRole, error) {
	return row[structs.ACLRole](tx.txn, TableACLRoles, indexID, "ACL role", id)
}

// ACLRoleByID returns a role, or nil.
func (s *StateStore) ACLRoleByID(ws memdb.WatchSet, id string) (*structs.ACLRole, error) {
	return watchRow[structs.ACLRole](s, ws, TableACLRoles, indexID, "ACL role", id)
}

// ACLRoleByName returns the role of that name, or nil.
func (s *StateStore) ACLRoleByName(ws memdb.WatchSet, name string) (*structs.ACLRole, error) {
	return watchRow[structs.ACLRole](s, ws, TableACLRoles, indexName, "ACL role named", name)
}

// ACLRoles returns every role, sorted by name.
func (s *StateStore) ACLRoles(ws memdb.WatchSet) ([]*structs.ACLRole, error) {
	return allRows[structs.ACLRole](s, ws, TableACLRoles, indexName)
}
