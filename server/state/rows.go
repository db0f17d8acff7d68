package state

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// The ACL and namespace tables hold one kind of row each, found by a string
// key; these helpers read and delete them. what names the kind of row in
// errors ("ACL policy").

// row returns the row of table whose index holds key, or nil.
func row[T any](txn txnReader, table, index, what, key string) (*T, error) {
	raw, err := txn.First(table, index, key)
	if err != nil {
		return nil, fmt.Errorf("read %s %q: %w", what, key, err)
	}
	if raw == nil {
		return nil, nil
	}
	return raw.(*T), nil
}

// watchRow is row on the store's current state; ws is told of a change to
// the row (or to its absence).
func watchRow[T any](s *StateStore, ws memdb.WatchSet, table, index, what, key string) (*T, error) {
	ch, raw, err := s.db.Txn(false).FirstWatch(table, index, key)
	if err != nil {
		return nil, fmt.Errorf("read %s %q: %w", what, key, err)
	}
	ws.Add(ch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*T), nil
}

// allRows returns every row of table in the order of index; ws is told of
// any change to the table.
func allRows[T any](s *StateStore, ws memdb.WatchSet, table, index string) ([]*T, error) {
	it, err := s.db.Txn(false).Get(table, index)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", table, err)
	}
	ws.Add(it.WatchCh())
	var out []*T
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*T))
	}
	return out, nil
}

// deleteRows removes the rows of table whose ID index holds one of keys.
// An unknown key fails the whole transaction, so nothing is deleted.
func deleteRows[T any](tx *WriteTxn, table, what string, keys []string) error {
	for _, key := range keys {
		old, err := row[T](tx.txn, table, indexID, what, key)
		if err != nil {
			return err
		}
		if old == nil {
			return fmt.Errorf("delete %s %q: %w", what, key, structs.ErrNotFound)
		}
		if err := tx.txn.Delete(table, old); err != nil {
			return fmt.Errorf("delete %s %q: %w", what, key, err)
		}
		tx.touchTable(table)
	}
	return nil
}
