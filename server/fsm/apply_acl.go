package fsm

import (
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// The ACL and namespace entries need nothing but their write: the leader's
// eval machinery does not care about them.
func init() {
	appliers[structs.ACLPolicyUpsertRequestType] = applyWrite(func(tx *state.WriteTxn, e *structs.ACLPolicyUpsertEntry) error {
		return tx.UpsertACLPolicies(e.Policies)
	})
	appliers[structs.ACLPolicyDeleteRequestType] = applyWrite(func(tx *state.WriteTxn, e *structs.ACLPolicyDeleteEntry) error {
		return tx.DeleteACLPolicies(e.Names)
	})
	appliers[structs.ACLTokenUpsertRequestType] = applyWrite(func(tx *state.WriteTxn, e *structs.ACLTokenUpsertEntry) error {
		return tx.UpsertACLTokens(e.Tokens)
	})
	appliers[structs.ACLTokenDeleteRequestType] = applyWrite(func(tx *state.WriteTxn, e *structs.ACLTokenDeleteEntry) error {
		return tx.DeleteACLTokens(e.AccessorIDs)
	})
	appliers[structs.ACLBootstrapRequestType] = applyWrite(func(tx *state.WriteTxn, e *structs.ACLBootstrapEntry) error {
		return tx.BootstrapACLToken(e.Token, e.ResetIndex)
	})
	appliers[structs.ACLRoleUpsertRequestType] = applyWrite(func(tx *state.WriteTxn, e *structs.ACLRoleUpsertEntry) error {
		return tx.UpsertACLRoles(e.Roles)
	})
	appliers[structs.ACLRoleDeleteRequestType] = applyWrite(func(tx *state.WriteTxn, e *structs.ACLRoleDeleteEntry) error {
		return tx.DeleteACLRoles(e.IDs)
	})
	appliers[structs.NamespaceUpsertRequestType] = applyWrite(func(tx *state.WriteTxn, e *structs.NamespaceUpsertEntry) error {
		return tx.UpsertNamespaces(e.Namespaces)
	})
	appliers[structs.NamespaceDeleteRequestType] = applyWrite(func(tx *state.WriteTxn, e *structs.NamespaceDeleteEntry) error {
		return tx.DeleteNamespaces(e.Names)
	})
}

// applyWrite makes the applier of an entry of type E that only needs write
// run in one transaction at the entry's index.
func applyWrite[E any](write func(tx *state.WriteTxn, e *E) error) applyFunc {
	return func(f *FSM, index uint64, body []byte) error {
		var e E
		if err := structs.Decode(body, &e); err != nil {
			return err
		}
		return f.State().Update(index, func(tx *state.WriteTxn) error { return write(tx, &e) })
	}
}
