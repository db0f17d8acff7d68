package server

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// UpsertUser creates a user (args.Create) or replaces an existing user's
// description, type, roles and policies, and sets the password when one is
// given. A new password revokes the user's tokens.
func (a *ACL) UpsertUser(args *structs.ACLUserUpsertRequest, reply *structs.ACLUserResponse) error {
	if done, err := a.srv.forward(structs.ACLUpsertUserRPC, false, args, reply); done {
		return err
	}
	if !a.srv.ACLEnabled() {
		return errACLDisabled
	}
	if args.User == nil {
		return fmt.Errorf("invalid: no user given")
	}
	in := *args.User
	if err := a.srv.validateUser(&in); err != nil {
		return err
	}
	a.srv.login.mu.Lock()
	defer a.srv.login.mu.Unlock()
	old, err := a.srv.State().ACLUserByName(nil, in.Name)
	if err != nil {
		return err
	}
	var u structs.ACLUser
	switch {
	case args.Create && old != nil:
		return fmt.Errorf("%w: user %q already exists", structs.ErrConflict, in.Name)
	case !args.Create && old == nil:
		return fmt.Errorf("ACL user %q: %w", in.Name, structs.ErrNotFound)
	case old == nil:
		if args.Password == "" {
			return fmt.Errorf("invalid: a new user needs a password")
		}
		u = structs.ACLUser{Name: in.Name, CreateTime: time.Now().UTC()}
	default:
		u = *old
	}
	u.Description, u.Type, u.Roles, u.Policies = in.Description, in.Type, in.Roles, in.Policies
	if args.Password != "" {
		if err := setPassword(&u, args.Password); err != nil {
			return err
		}
	}
	if err := a.srv.applyUser(&u, &reply.QueryMeta); err != nil {
		return err
	}
	reply.User = u.Sanitize()
	return nil
}

// validateUser checks what an operator gives for a user and fills in the
// default type.
func (s *Server) validateUser(u *structs.ACLUser) error {
	if err := state.ValidateName("user", u.Name); err != nil {
		return err
	}
	if u.Type == "" {
		u.Type = structs.ACLTokenTypeClient
	}
	switch u.Type {
	case structs.ACLTokenTypeClient:
		if len(u.Roles) == 0 && len(u.Policies) == 0 {
			return fmt.Errorf("invalid: a client user needs at least one policy or role")
		}
	case structs.ACLTokenTypeManagement:
		if len(u.Roles) > 0 || len(u.Policies) > 0 {
			return fmt.Errorf("invalid: a management user may do everything; it takes no policies or roles")
		}
	default:
		return fmt.Errorf("invalid: user type %q: use %q or %q", u.Type, structs.ACLTokenTypeClient, structs.ACLTokenTypeManagement)
	}
	return checkRolesAndPolicies(s.State(), u.Roles, u.Policies)
}

// checkRolesAndPolicies refuses names of roles or policies that do not exist.
func checkRolesAndPolicies(st *state.StateStore, roles, policies []string) error {
	for _, r := range roles {
		role, err := st.ACLRoleByName(nil, r)
		if err != nil {
			return err
		}
		if role == nil {
			return fmt.Errorf("invalid: role %q does not exist", r)
		}
	}
	for _, p := range policies {
		pol, err := st.ACLPolicyByName(nil, p)
		if err != nil {
			return err
		}
		if pol == nil {
			return fmt.Errorf("invalid: policy %q does not exist", p)
		}
	}
	return nil
}

// setPassword hashes a new password into u, revokes u's tokens (a new
// generation) and clears failed-login lockouts.
func setPassword(u *structs.ACLUser, pw string) error {
	if err := validatePassword(pw); err != nil {
		return err
	}
	hash, err := hashPassword(pw)
	if err != nil {
		return err
	}
	u.PasswordHash = hash
	u.Generation++
	u.FailedLogins, u.Lockouts, u.LockedUntil, u.LockoutDuration = 0, 0, nil, 0
	return nil
}

func (s *Server) applyUser(u *structs.ACLUser, meta *structs.QueryMeta) error {
	idx, err := s.applyChecked(structs.ACLUserUpsertRequestType, &structs.ACLUserUpsertEntry{Users: []*structs.ACLUser{u}},
		func(tx *state.WriteTxn) error { return tx.UpsertACLUsers([]*structs.ACLUser{u}, nil, time.Time{}) })
	if err != nil {
		return err
	}
	meta.Index = idx
	// Read back for the indexes and generation the state set.
	stored, err := s.State().ACLUserByName(nil, u.Name)
	if err != nil || stored == nil {
		return fmt.Errorf("read user %q back: %v", u.Name, err)
	}
	*u = *stored
	return nil
}

// DeleteUser removes users and their login sessions, which ends their JWTs.
func (a *ACL) DeleteUser(args *structs.ACLNamesRequest, reply *structs.GenericResponse) error {
	if done, err := a.srv.forward(structs.ACLDeleteUserRPC, false, args, reply); done {
		return err
	}
	if len(args.Names) == 0 {
		return fmt.Errorf("invalid: no user name given")
	}
	a.srv.login.mu.Lock()
	defer a.srv.login.mu.Unlock()
	idx, err := a.srv.applyChecked(structs.ACLUserDeleteRequestType, &structs.ACLUserDeleteEntry{Names: args.Names},
		func(tx *state.WriteTxn) error { return tx.DeleteACLUsers(args.Names) })
	reply.Index = idx
	return err
}

// ListUsers lists every user, without secrets.
func (a *ACL) ListUsers(args *structs.GenericRequest, reply *structs.ACLUserListResponse) error {
	if done, err := a.srv.forward(structs.ACLListUsersRPC, args.AllowStale, args, reply); done {
		return err
	}
	return a.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		all, err := st.ACLUsers(ws)
		if err != nil {
			return 0, err
		}
		reply.Users = make([]*structs.ACLUser, 0, len(all))
		for _, u := range all {
			reply.Users = append(reply.Users, u.Sanitize())
		}
		return st.Index(state.TableACLUsers)
	})
}

// GetUser reads one user, without secrets (management, or the user).
func (a *ACL) GetUser(args *structs.ACLSpecificRequest, reply *structs.ACLUserResponse) error {
	if done, err := a.srv.forward(structs.ACLGetUserRPC, args.AllowStale, args, reply); done {
		return err
	}
	return a.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		u, err := st.ACLUserByName(ws, args.Name)
		if err != nil {
			return 0, err
		}
		if u == nil {
			return 0, fmt.Errorf("ACL user %q: %w", args.Name, structs.ErrNotFound)
		}
		reply.User = u.Sanitize()
		return st.Index(state.TableACLUsers)
	})
}

// SetUserPassword sets a password. A management token sets anyone's; a
// user changing their own proves the current one. Either way the user's
// tokens are revoked.
func (a *ACL) SetUserPassword(args *structs.ACLUserPasswordRequest, reply *structs.ACLUserResponse) error {
	if done, err := a.srv.forward(structs.ACLSetUserPasswordRPC, false, args, reply); done {
		return err
	}
	if !a.srv.ACLEnabled() {
		return errACLDisabled
	}
	aclObj, _, err := a.srv.ResolveToken(args.AuthToken)
	if err != nil {
		return err
	}
	a.srv.login.mu.Lock()
	defer a.srv.login.mu.Unlock()
	u, err := a.userToChange(args.Name)
	if err != nil {
		return err
	}
	if !aclObj.IsManagement() {
		ok, err := checkPassword(u.PasswordHash, args.CurrentPassword)
		if err != nil {
			return err
		}
		if !ok {
			return a.srv.loginFailed(u, time.Now().UTC(), fmt.Errorf("Permission denied: the current password is wrong"))
		}
	}
	if err := setPassword(u, args.Password); err != nil {
		return err
	}
	if err := a.srv.applyUser(u, &reply.QueryMeta); err != nil {
		return err
	}
	a.srv.logger.Info("user password changed; the user's tokens are revoked", "user", u.Name)
	reply.User = u.Sanitize()
	return nil
}

// userToChange returns a copy of a stored user to modify.
func (a *ACL) userToChange(name string) (*structs.ACLUser, error) {
	u, err := a.srv.State().ACLUserByName(nil, name)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, fmt.Errorf("ACL user %q: %w", name, structs.ErrNotFound)
	}
	c := *u
	return &c, nil
}

// SetUserLock locks a user (refusing logins and revoking their tokens) or
// unlocks one (also ending a lockout after failed logins).
func (a *ACL) SetUserLock(args *structs.ACLUserLockRequest, reply *structs.ACLUserResponse) error {
	if done, err := a.srv.forward(structs.ACLSetUserLockRPC, false, args, reply); done {
		return err
	}
	if !a.srv.ACLEnabled() {
		return errACLDisabled
	}
	a.srv.login.mu.Lock()
	defer a.srv.login.mu.Unlock()
	u, err := a.userToChange(args.Name)
	if err != nil {
		return err
	}
	if args.Locked {
		u.Locked = true
		u.Generation++
	} else {
		u.Locked = false
		u.FailedLogins, u.Lockouts, u.LockedUntil, u.LockoutDuration = 0, 0, nil, 0
	}
	if err := a.srv.applyUser(u, &reply.QueryMeta); err != nil {
		return err
	}
	a.srv.logger.Info("user lock changed", "user", u.Name, "locked", u.Locked)
	reply.User = u.Sanitize()
	return nil
}
