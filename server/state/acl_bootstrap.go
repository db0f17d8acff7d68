package state

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
)

// aclBootstrapID keys the single row of TableACLBootstrap.
const aclBootstrapID = "bootstrap"

// aclBootstrapRow records the Raft index of the last ACL bootstrap. It is
// its own table (not an entry of the index table) so that it survives in
// snapshots as a fact, not as a table's write index.
type aclBootstrapRow struct {
	ID    string `json:"id"`
	Index uint64 `json:"index"`
}

// BootstrapACLToken stores the first management token. It is allowed once;
// after that only with resetIndex equal to the index of the last bootstrap
// (the documented reset procedure: the operator reads that index from the
// refusal and sends it back, which proves they meant to reset). The refusal
// says "ACL bootstrap already done (reset index: N)".
func (tx *WriteTxn) BootstrapACLToken(token *structs.ACLToken, resetIndex uint64) error {
	if token == nil {
		return &structs.ValidationError{Problems: []string{"the bootstrap token is missing"}}
	}
	if token.Type != structs.ACLTokenTypeManagement {
		return &structs.ValidationError{Problems: []string{
			fmt.Sprintf("the bootstrap token must be a %q token, not %q", structs.ACLTokenTypeManagement, token.Type)}}
	}
	last, err := aclBootstrapIndex(tx.txn)
	if err != nil {
		return err
	}
	if last != 0 && resetIndex != last {
		return fmt.Errorf("%w: ACL bootstrap already done (reset index: %d); to bootstrap again, "+
			"follow the ACL reset procedure with that index", structs.ErrConflict, last)
	}
	if err := tx.upsertACLToken(token); err != nil {
		return fmt.Errorf("store the bootstrap token: %w", err)
	}
	if err := tx.txn.Insert(TableACLBootstrap, &aclBootstrapRow{ID: aclBootstrapID, Index: tx.index}); err != nil {
		return fmt.Errorf("record the ACL bootstrap: %w", err)
	}
	tx.touchTable(TableACLBootstrap)
	return nil
}

// ACLBootstrapIndex returns the Raft index of the last ACL bootstrap, or 0
// when ACLs were never bootstrapped. A read failure (which only a schema
// bug could cause) is logged and reads as 0; BootstrapACLToken checks
// again inside its own transaction, so this cannot allow a second
// bootstrap.
func (s *StateStore) ACLBootstrapIndex() uint64 {
	idx, err := aclBootstrapIndex(s.db.Txn(false))
	if err != nil {
		s.logger.Error("cannot read the ACL bootstrap index", "error", err)
		return 0
	}
	return idx
}

// txnReader is what reading the bootstrap row needs from a memdb
// transaction, read-only or not.
type txnReader interface {
	First(table, index string, args ...any) (any, error)
}

func aclBootstrapIndex(txn txnReader) (uint64, error) {
	raw, err := txn.First(TableACLBootstrap, indexID, aclBootstrapID)
	if err != nil {
		return 0, fmt.Errorf("read the ACL bootstrap index: %w", err)
	}
	if raw == nil {
		return 0, nil
	}
	return raw.(*aclBootstrapRow).Index, nil
}
