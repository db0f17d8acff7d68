package state

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// UpsertACLAuthMethods stores copies of auth methods, keyed by name. Their
// configuration was checked by the endpoint (keys parse) before Raft.
func (tx *WriteTxn) UpsertACLAuthMethods(methods []*structs.ACLAuthMethod) error {
	for _, m := range methods {
		if m == nil {
			return &structs.ValidationError{Problems: []string{"an auth method in the list is empty"}}
		}
		var v structs.ValidationError
		checkName(&v, "auth method", m.Name)
		if m.Type != structs.AuthMethodTypeJWT {
			v.Add("", "auth method %q: type %q is unknown (use %q)", m.Name, m.Type, structs.AuthMethodTypeJWT)
		}
		if m.Config == nil {
			v.Add("", "auth method %q has no config", m.Name)
		}
		if err := v.ErrorOrNil(); err != nil {
			return err
		}
		old, err := row[structs.ACLAuthMethod](tx.txn, TableACLAuthMethods, indexID, "auth method", m.Name)
		if err != nil {
			return err
		}
		c := *m
		c.CreateIndex = tx.index
		if old != nil {
			c.CreateIndex = old.CreateIndex
		}
		c.ModifyIndex = tx.index
		if err := tx.txn.Insert(TableACLAuthMethods, &c); err != nil {
			return fmt.Errorf("store auth method %q: %w", c.Name, err)
		}
		tx.touchTable(TableACLAuthMethods)
	}
	return nil
}

// DeleteACLAuthMethods removes auth methods and their binding rules. An
// unknown name fails the whole transaction.
func (tx *WriteTxn) DeleteACLAuthMethods(names []string) error {
	for _, name := range names {
		n, err := tx.txn.DeleteAll(TableACLBindingRules, indexMethod, name)
		if err != nil {
			return fmt.Errorf("delete binding rules of auth method %q: %w", name, err)
		}
		if n > 0 {
			tx.touchTable(TableACLBindingRules)
		}
	}
	return deleteRows[structs.ACLAuthMethod](tx, TableACLAuthMethods, "auth method", names)
}

// UpsertACLBindingRules stores copies of binding rules; each must name an
// auth method that exists.
func (tx *WriteTxn) UpsertACLBindingRules(rules []*structs.ACLBindingRule) error {
	for _, r := range rules {
		if r == nil || r.ID == "" {
			return &structs.ValidationError{Problems: []string{"a binding rule needs an ID"}}
		}
		m, err := row[structs.ACLAuthMethod](tx.txn, TableACLAuthMethods, indexID, "auth method", r.AuthMethod)
		if err != nil {
			return err
		}
		if m == nil {
			return &structs.ValidationError{Problems: []string{fmt.Sprintf("binding rule %s: auth method %q does not exist", r.ID, r.AuthMethod)}}
		}
		old, err := row[structs.ACLBindingRule](tx.txn, TableACLBindingRules, indexID, "binding rule", r.ID)
		if err != nil {
			return err
		}
		c := *r
		c.CreateIndex = tx.index
		if old != nil {
			c.CreateIndex = old.CreateIndex
		}
		c.ModifyIndex = tx.index
		if err := tx.txn.Insert(TableACLBindingRules, &c); err != nil {
			return fmt.Errorf("store binding rule %q: %w", c.ID, err)
		}
		tx.touchTable(TableACLBindingRules)
	}
	return nil
}

// DeleteACLBindingRules removes binding rules by ID.
func (tx *WriteTxn) DeleteACLBindingRules(ids []string) error {
	return deleteRows[structs.ACLBindingRule](tx, TableACLBindingRules, "binding rule", ids)
}

// ACLAuthMethodByName returns an auth method, or nil.
func (s *StateStore) ACLAuthMethodByName(ws memdb.WatchSet, name string) (*structs.ACLAuthMethod, error) {
	return watchRow[structs.ACLAuthMethod](s, ws, TableACLAuthMethods, indexID, "auth method", name)
}

// ACLAuthMethods returns every auth method, by name.
func (s *StateStore) ACLAuthMethods(ws memdb.WatchSet) ([]*structs.ACLAuthMethod, error) {
	return allRows[structs.ACLAuthMethod](s, ws, TableACLAuthMethods, indexID)
}

// ACLBindingRuleByID returns a binding rule, or nil.
func (s *StateStore) ACLBindingRuleByID(ws memdb.WatchSet, id string) (*structs.ACLBindingRule, error) {
	return watchRow[structs.ACLBindingRule](s, ws, TableACLBindingRules, indexID, "binding rule", id)
}

// ACLBindingRules returns the binding rules of one auth method, or of all
// when method is empty, by ID.
func (s *StateStore) ACLBindingRules(ws memdb.WatchSet, method string) ([]*structs.ACLBindingRule, error) {
	all, err := allRows[structs.ACLBindingRule](s, ws, TableACLBindingRules, indexID)
	if err != nil || method == "" {
		return all, err
	}
	var out []*structs.ACLBindingRule
	for _, r := range all {
		if r.AuthMethod == method {
			out = append(out, r)
		}
	}
	return out, nil
}
