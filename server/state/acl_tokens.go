package state

import (
	"fmt"
	"sort"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// UpsertACLTokens stores copies of the tokens, keyed by accessor ID.
//
// The stored copy never holds SecretID, only SecretHash: snapshots and
// memory dumps must not leak usable secrets. A token that arrives with a
// SecretID but no hash gets the hash computed here; an update that carries
// neither keeps the stored hash (so renaming a token does not need its
// secret). Two tokens may not share a secret.
func (tx *WriteTxn) UpsertACLTokens(tokens []*structs.ACLToken) error {
	for _, t := range tokens {
		if err := tx.upsertACLToken(t); err != nil {
			return err
		}
	}
	return nil
}

func (tx *WriteTxn) upsertACLToken(t *structs.ACLToken) error {
	if t == nil {
		return &structs.ValidationError{Problems: []string{"a token in the list is empty"}}
	}
	old, err := tx.aclToken(t.AccessorID)
	if err != nil {
		return err
	}
	c := copyToken(t)
	c.SecretID = ""
	if t.SecretID != "" {
		c.SecretHash = structs.HashSecret(t.SecretID)
	}
	if c.SecretHash == "" && old != nil {
		c.SecretHash = old.SecretHash
	}
	var v structs.ValidationError
	if c.AccessorID == "" {
		v.Add("", "token accessor ID is missing")
	}
	if t.SecretID != "" && t.SecretHash != "" && t.SecretHash != c.SecretHash {
		v.Add("", "token %q: secret hash does not match the secret", t.AccessorID)
	}
	if c.SecretHash == "" {
		v.Add("", "token %q has no secret", t.AccessorID)
	}
	if c.Type != structs.ACLTokenTypeClient && c.Type != structs.ACLTokenTypeManagement {
		v.Add("", "token %q: type %q is unknown (use %q or %q)", t.AccessorID, c.Type,
			structs.ACLTokenTypeClient, structs.ACLTokenTypeManagement)
	}
	if err := v.ErrorOrNil(); err != nil {
		return err
	}
	// The secret index is unique; memdb would silently repoint it, leaving
	// the other token unreachable by its secret, so check first.
	raw, err := tx.txn.First(TableACLTokens, indexSecret, c.SecretHash)
	if err != nil {
		return fmt.Errorf("read ACL token by secret: %w", err)
	}
	if other, ok := raw.(*structs.ACLToken); ok && other.AccessorID != c.AccessorID {
		return fmt.Errorf("%w: token %q has the same secret as token %q", structs.ErrConflict, c.AccessorID, other.AccessorID)
	}
	c.CreateIndex = tx.index
	if old != nil {
		c.CreateIndex = old.CreateIndex
		c.CreateTime = old.CreateTime
	}
	c.ModifyIndex = tx.index
	if err := tx.txn.Insert(TableACLTokens, c); err != nil {
		return fmt.Errorf("store ACL token %q: %w", c.AccessorID, err)
	}
	tx.touchTable(TableACLTokens)
	return nil
}

// copyToken copies a token deeply enough that the stored copy shares no
// slice or pointer with the entry it came from.
func copyToken(t *structs.ACLToken) *structs.ACLToken {
	c := *t
	c.Policies = copyStrings(t.Policies)
	c.Roles = copyStrings(t.Roles)
	if t.ExpirationTime != nil {
		exp := *t.ExpirationTime
		c.ExpirationTime = &exp
	}
	return &c
}

// DeleteACLTokens removes tokens by accessor ID. An unknown ID fails the
// whole transaction, so nothing is deleted.
func (tx *WriteTxn) DeleteACLTokens(accessorIDs []string) error {
	return deleteRows[structs.ACLToken](tx, TableACLTokens, "ACL token", accessorIDs)
}

func (tx *WriteTxn) aclToken(accessorID string) (*structs.ACLToken, error) {
	return row[structs.ACLToken](tx.txn, TableACLTokens, indexID, "ACL token", accessorID)
}

// ACLTokenByAccessorID returns a token (without its secret), or nil.
func (s *StateStore) ACLTokenByAccessorID(ws memdb.WatchSet, accessorID string) (*structs.ACLToken, error) {
	return watchRow[structs.ACLToken](s, ws, TableACLTokens, indexID, "ACL token", accessorID)
}

// ACLTokenBySecretHash returns the token whose secret hashes to hash (see
// structs.HashSecret), or nil. This is how a request's token is resolved.
func (s *StateStore) ACLTokenBySecretHash(ws memdb.WatchSet, hash string) (*structs.ACLToken, error) {
	if hash == "" {
		return nil, nil // no token has an empty hash; skip the lookup
	}
	ch, raw, err := s.db.Txn(false).FirstWatch(TableACLTokens, indexSecret, hash)
	if err != nil {
		return nil, fmt.Errorf("read ACL token by secret: %w", err)
	}
	ws.Add(ch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.ACLToken), nil
}

// ACLTokens returns every token, oldest first (by CreateIndex, then
// accessor ID for tokens created in the same entry).
func (s *StateStore) ACLTokens(ws memdb.WatchSet) ([]*structs.ACLToken, error) {
	out, err := allRows[structs.ACLToken](s, ws, TableACLTokens, indexID)
	if err != nil {
		return nil, err
	}
	// The ID index already orders by accessor ID, so a stable sort by
	// CreateIndex alone keeps that order within an entry.
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreateIndex < out[j].CreateIndex })
	return out, nil
}
