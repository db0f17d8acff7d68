package server

import (
	"fmt"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// UpsertRoles creates roles (no ID given) or updates existing ones.
func (a *ACL) UpsertRoles(args *structs.ACLRoleUpsertRequest, reply *structs.ACLRoleUpsertResponse) error {
	if done, err := a.srv.forward(structs.ACLUpsertRolesRPC, false, args, reply); done {
		return err
	}
	if !a.srv.ACLEnabled() {
		return errACLDisabled
	}
	if len(args.Roles) == 0 {
		return fmt.Errorf("invalid: no role given")
	}
	st := a.srv.State()
	roles := make([]*structs.ACLRole, 0, len(args.Roles))
	for _, in := range args.Roles {
		if in == nil {
			return fmt.Errorf("invalid: empty role")
		}
		if err := state.ValidateName("role", in.Name); err != nil {
			return err
		}
		if len(in.Policies) == 0 {
			return fmt.Errorf("invalid: role %q needs at least one policy", in.Name)
		}
		for _, p := range in.Policies {
			pol, err := st.ACLPolicyByName(nil, p)
			if err != nil {
				return err
			}
			if pol == nil {
				return fmt.Errorf("invalid: role %q: policy %q does not exist", in.Name, p)
			}
		}
		r := *in
		if r.ID == "" {
			r.ID = structs.GenerateID()
		} else if old, err := st.ACLRoleByID(nil, r.ID); err != nil {
			return err
		} else if old == nil {
			return fmt.Errorf("ACL role %q: %w", r.ID, structs.ErrNotFound)
		}
		roles = append(roles, &r)
	}
	idx, err := a.srv.applyChecked(structs.ACLRoleUpsertRequestType, &structs.ACLRoleUpsertEntry{Roles: roles},
		func(tx *state.WriteTxn) error { return tx.UpsertACLRoles(roles) })
	if err != nil {
		return err
	}
	reply.Index = idx
	for _, r := range roles {
		stored, err := a.srv.State().ACLRoleByID(nil, r.ID)
		if err != nil || stored == nil {
			return fmt.Errorf("read role %s back: %v", r.Name, err)
		}
		reply.Roles = append(reply.Roles, stored)
	}
	return nil
}

// DeleteRoles removes roles by ID.
func (a *ACL) DeleteRoles(args *structs.ACLNamesRequest, reply *structs.GenericResponse) error {
	if done, err := a.srv.forward(structs.ACLDeleteRolesRPC, false, args, reply); done {
		return err
	}
	if len(args.Names) == 0 {
		return fmt.Errorf("invalid: no role ID given")
	}
	idx, err := a.srv.applyChecked(structs.ACLRoleDeleteRequestType, &structs.ACLRoleDeleteEntry{IDs: args.Names},
		func(tx *state.WriteTxn) error { return tx.DeleteACLRoles(args.Names) })
	reply.Index = idx
	return err
}

// ListRoles lists every role for a management token, otherwise the
// token's own roles.
func (a *ACL) ListRoles(args *structs.GenericRequest, reply *structs.ACLRoleListResponse) error {
	if done, err := a.srv.forward(structs.ACLListRolesRPC, args.AllowStale, args, reply); done {
		return err
	}
	_, token, err := a.srv.ResolveToken(args.AuthToken)
	if err != nil {
		return err
	}
	return a.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		all, err := st.ACLRoles(ws)
		if err != nil {
			return 0, err
		}
		reply.Roles = make([]*structs.ACLRole, 0, len(all))
		for _, r := range all {
			if a.srv.tokenHasRole(token, r.Name) {
				reply.Roles = append(reply.Roles, r)
			}
		}
		return st.Index(state.TableACLRoles)
	})
}

// GetRole reads a role by ID, or by name when the request's Prefix is
// "name" (GET /v1/acl/role/name/<name>).
func (a *ACL) GetRole(args *structs.ACLSpecificRequest, reply *structs.ACLRoleResponse) error {
	if done, err := a.srv.forward(structs.ACLGetRoleRPC, args.AllowStale, args, reply); done {
		return err
	}
	_, token, err := a.srv.ResolveToken(args.AuthToken)
	if err != nil {
		return err
	}
	byName := args.Prefix == "name"
	return a.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		var r *structs.ACLRole
		var err error
		if byName {
			r, err = st.ACLRoleByName(ws, args.Name)
		} else {
			r, err = st.ACLRoleByID(ws, args.Name)
		}
		if err != nil {
			return 0, err
		}
		if r == nil {
			return 0, fmt.Errorf("ACL role %q: %w", args.Name, structs.ErrNotFound)
		}
		if !a.srv.tokenHasRole(token, r.Name) {
			return 0, fmt.Errorf("Permission denied: role %q is not one of the token's (a management token reads any role)", r.Name)
		}
		reply.Role = r
		return st.Index(state.TableACLRoles)
	})
}

func (s *Server) tokenHasRole(token *structs.ACLToken, name string) bool {
	if s.seesAllACLs(token) {
		return true
	}
	if token == nil {
		return false
	}
	for _, r := range token.Roles {
		if r == name {
			return true
		}
	}
	return false
}
