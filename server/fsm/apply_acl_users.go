package fsm

import (
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// Users, login sessions, signing keys, auth methods and binding rules only
// write their tables; nothing on the leader reacts to them.
func init() {
	appliers[structs.ACLUserUpsertRequestType] = applyWrite(func(tx *state.WriteTxn, e *structs.ACLUserUpsertEntry) error {
		return tx.UpsertACLUsers(e.Users, e.Sessions, e.Now)
	})
	appliers[structs.ACLUserDeleteRequestType] = applyWrite(func(tx *state.WriteTxn, e *structs.ACLUserDeleteEntry) error {
		return tx.DeleteACLUsers(e.Names)
	})
	appliers[structs.ACLSigningKeysRequestType] = applyWrite(func(tx *state.WriteTxn, e *structs.ACLSigningKeysEntry) error {
		return tx.UpsertACLSigningKeys(e.Keys, e.Delete)
	})
	appliers[structs.ACLAuthMethodUpsertRequestType] = applyWrite(func(tx *state.WriteTxn, e *structs.ACLAuthMethodUpsertEntry) error {
		return tx.UpsertACLAuthMethods(e.Methods)
	})
	appliers[structs.ACLAuthMethodDeleteRequestType] = applyWrite(func(tx *state.WriteTxn, e *structs.ACLAuthMethodDeleteEntry) error {
		return tx.DeleteACLAuthMethods(e.Names)
	})
	appliers[structs.ACLBindingRuleUpsertRequestType] = applyWrite(func(tx *state.WriteTxn, e *structs.ACLBindingRuleUpsertEntry) error {
		return tx.UpsertACLBindingRules(e.Rules)
	})
	appliers[structs.ACLBindingRuleDeleteRequestType] = applyWrite(func(tx *state.WriteTxn, e *structs.ACLBindingRuleDeleteEntry) error {
		return tx.DeleteACLBindingRules(e.IDs)
	})
}
