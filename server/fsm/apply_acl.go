package fsm

import (
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

func init() {
	appliers[structs.ACLPolicyUpsertRequestType] = (*FSM).applyACLPolicyUpsert
	appliers[structs.ACLPolicyDeleteRequestType] = (*FSM).applyACLPolicyDelete
	appliers[structs.ACLTokenUpsertRequestType] = (*FSM).applyACLTokenUpsert
	appliers[structs.ACLTokenDeleteRequestType] = (*FSM).applyACLTokenDelete
	appliers[structs.ACLBootstrapRequestType] = (*FSM).applyACLBootstrap
	appliers[structs.ACLRoleUpsertRequestType] = (*FSM).applyACLRoleUpsert
	appliers[structs.ACLRoleDeleteRequestType] = (*FSM).applyACLRoleDelete
	appliers[structs.NamespaceUpsertRequestType] = (*FSM).applyNamespaceUpsert
	appliers[structs.NamespaceDeleteRequestType] = (*FSM).applyNamespaceDelete
}

// applyWrite decodes an entry of type E and writes it in one transaction.
// The ACL and namespace entries need nothing else: the leader's eval
// machinery does not care about them.
func applyWrite[E any](f *FSM, index uint64, body []byte, write func(tx *state.WriteTxn, e *E) error) error {
	var e E
	if err := structs.Decode(body, &e); err != nil {
		return err
	}
	return f.State().Update(index, func(tx *state.WriteTxn) error { return write(tx, &e) })
}

func (f *FSM) applyACLPolicyUpsert(index uint64, body []byte) error {
	return applyWrite(f, index, body, func(tx *state.WriteTxn, e *structs.ACLPolicyUpsertEntry) error {
		return tx.UpsertACLPolicies(e.Policies)
	})
}

func (f *FSM) applyACLPolicyDelete(index uint64, body []byte) error {
	return applyWrite(f, index, body, func(tx *state.WriteTxn, e *structs.ACLPolicyDeleteEntry) error {
		return tx.DeleteACLPolicies(e.Names)
	})
}

func (f *FSM) applyACLTokenUpsert(index uint64, body []byte) error {
	return applyWrite(f, index, body, func(tx *state.WriteTxn, e *structs.ACLTokenUpsertEntry) error {
		return tx.UpsertACLTokens(e.Tokens)
	})
}

func (f *FSM) applyACLTokenDelete(index uint64, body []byte) error {
	return applyWrite(f, index, body, func(tx *state.WriteTxn, e *structs.ACLTokenDeleteEntry) error {
		return tx.DeleteACLTokens(e.AccessorIDs)
	})
}

func (f *FSM) applyACLBootstrap(index uint64, body []byte) error {
	return applyWrite(f, index, body, func(tx *state.WriteTxn, e *structs.ACLBootstrapEntry) error {
		return tx.BootstrapACLToken(e.Token, e.ResetIndex)
	})
}

func (f *FSM) applyACLRoleUpsert(index uint64, body []byte) error {
	return applyWrite(f, index, body, func(tx *state.WriteTxn, e *structs.ACLRoleUpsertEntry) error {
		return tx.UpsertACLRoles(e.Roles)
	})
}

func (f *FSM) applyACLRoleDelete(index uint64, body []byte) error {
	return applyWrite(f, index, body, func(tx *state.WriteTxn, e *structs.ACLRoleDeleteEntry) error {
		return tx.DeleteACLRoles(e.IDs)
	})
}

func (f *FSM) applyNamespaceUpsert(index uint64, body []byte) error {
	return applyWrite(f, index, body, func(tx *state.WriteTxn, e *structs.NamespaceUpsertEntry) error {
		return tx.UpsertNamespaces(e.Namespaces)
	})
}

func (f *FSM) applyNamespaceDelete(index uint64, body []byte) error {
	return applyWrite(f, index, body, func(tx *state.WriteTxn, e *structs.NamespaceDeleteEntry) error {
		return tx.DeleteNamespaces(e.Names)
	})
}
