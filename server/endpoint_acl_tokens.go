package server

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// UpsertTokens creates tokens (no accessor ID given) or updates the name,
// policies, roles and expiry of existing ones. New tokens come back once
// with their secret; the servers keep only its hash.
func (a *ACL) UpsertTokens(args *structs.ACLTokenUpsertRequest, reply *structs.ACLTokenUpsertResponse) error {
	if done, err := a.srv.forward(structs.ACLUpsertTokensRPC, false, args, reply); done {
		return err
	}
	if !a.srv.ACLEnabled() {
		return errACLDisabled
	}
	if len(args.Tokens) == 0 {
		return fmt.Errorf("invalid: no token given")
	}
	st := a.srv.State()
	now := time.Now().UTC()
	secrets := map[string]string{}
	tokens := make([]*structs.ACLToken, 0, len(args.Tokens))
	for _, in := range args.Tokens {
		t, secret, err := prepareToken(st, in, now)
		if err != nil {
			return err
		}
		if secret != "" {
			secrets[t.AccessorID] = secret
		}
		tokens = append(tokens, t)
	}
	idx, err := a.srv.applyChecked(structs.ACLTokenUpsertRequestType, &structs.ACLTokenUpsertEntry{Tokens: tokens},
		func(tx *state.WriteTxn) error { return tx.UpsertACLTokens(tokens) })
	if err != nil {
		return err
	}
	reply.Index = idx
	for _, t := range tokens {
		stored, err := a.srv.State().ACLTokenByAccessorID(nil, t.AccessorID)
		if err != nil || stored == nil {
			return fmt.Errorf("read token %s back: %v", t.AccessorID, err)
		}
		out := stored.Sanitize()
		out.SecretID = secrets[t.AccessorID]
		reply.Tokens = append(reply.Tokens, out)
	}
	return nil
}

// prepareToken validates a token to write and fills in what the server
// owns: a new token gets its accessor, secret and creation time; an update
// keeps them (and may not change the type).
func prepareToken(st *state.StateStore, in *structs.ACLToken, now time.Time) (*structs.ACLToken, string, error) {
	if in == nil {
		return nil, "", fmt.Errorf("invalid: empty token")
	}
	t := *in
	t.SecretID, t.SecretHash = "", ""
	if t.Type == "" {
		t.Type = structs.ACLTokenTypeClient
	}
	switch t.Type {
	case structs.ACLTokenTypeClient:
		if len(t.Policies) == 0 && len(t.Roles) == 0 {
			return nil, "", fmt.Errorf("invalid: a client token needs at least one policy or role")
		}
	case structs.ACLTokenTypeManagement:
		if len(t.Policies) > 0 || len(t.Roles) > 0 {
			return nil, "", fmt.Errorf("invalid: a management token may do everything; it takes no policies or roles")
		}
	default:
		return nil, "", fmt.Errorf("invalid: token type %q: use %q or %q", t.Type, structs.ACLTokenTypeClient, structs.ACLTokenTypeManagement)
	}
	for _, r := range t.Roles {
		role, err := st.ACLRoleByName(nil, r)
		if err != nil {
			return nil, "", err
		}
		if role == nil {
			return nil, "", fmt.Errorf("invalid: role %q does not exist", r)
		}
	}
	for _, p := range t.Policies {
		pol, err := st.ACLPolicyByName(nil, p)
		if err != nil {
			return nil, "", err
		}
		if pol == nil {
			return nil, "", fmt.Errorf("invalid: policy %q does not exist", p)
		}
	}
	if t.ExpirationTTL < 0 {
		return nil, "", fmt.Errorf("invalid: expiration TTL %s is negative", time.Duration(t.ExpirationTTL))
	}
	if t.AccessorID == "" {
		secret := structs.GenerateID()
		t.AccessorID, t.SecretHash, t.CreateTime = structs.GenerateID(), structs.HashSecret(secret), now
		if t.ExpirationTTL > 0 {
			exp := now.Add(time.Duration(t.ExpirationTTL))
			t.ExpirationTime = &exp
		}
		t.ExpirationTTL = 0
		return &t, secret, nil
	}
	old, err := st.ACLTokenByAccessorID(nil, t.AccessorID)
	if err != nil {
		return nil, "", err
	}
	if old == nil {
		return nil, "", fmt.Errorf("ACL token %q: %w", t.AccessorID, structs.ErrNotFound)
	}
	if old.Type != t.Type {
		return nil, "", fmt.Errorf("invalid: a token's type cannot change (it is %s)", old.Type)
	}
	t.SecretHash, t.CreateTime, t.ExpirationTime = old.SecretHash, old.CreateTime, old.ExpirationTime
	t.ExpirationTTL = 0
	return &t, "", nil
}

// DeleteTokens removes tokens by accessor ID.
func (a *ACL) DeleteTokens(args *structs.ACLNamesRequest, reply *structs.GenericResponse) error {
	if done, err := a.srv.forward(structs.ACLDeleteTokensRPC, false, args, reply); done {
		return err
	}
	if len(args.Names) == 0 {
		return fmt.Errorf("invalid: no token accessor ID given")
	}
	idx, err := a.srv.applyChecked(structs.ACLTokenDeleteRequestType, &structs.ACLTokenDeleteEntry{AccessorIDs: args.Names},
		func(tx *state.WriteTxn) error { return tx.DeleteACLTokens(args.Names) })
	reply.Index = idx
	return err
}

// ListTokens lists every token, without secrets.
func (a *ACL) ListTokens(args *structs.GenericRequest, reply *structs.ACLTokenListResponse) error {
	if done, err := a.srv.forward(structs.ACLListTokensRPC, args.AllowStale, args, reply); done {
		return err
	}
	return a.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		all, err := st.ACLTokens(ws)
		if err != nil {
			return 0, err
		}
		reply.Tokens = make([]*structs.ACLToken, 0, len(all))
		for _, t := range all {
			if args.Prefix == "" || hasPrefix(t.AccessorID, args.Prefix) {
				reply.Tokens = append(reply.Tokens, t.Sanitize())
			}
		}
		return st.Index(state.TableACLTokens)
	})
}

// GetToken reads a token by accessor ID, without its secret.
func (a *ACL) GetToken(args *structs.ACLSpecificRequest, reply *structs.ACLTokenGetResponse) error {
	if done, err := a.srv.forward(structs.ACLGetTokenRPC, args.AllowStale, args, reply); done {
		return err
	}
	return a.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		t, err := st.ACLTokenByAccessorID(ws, args.Name)
		if err != nil {
			return 0, err
		}
		if t == nil {
			return 0, fmt.Errorf("ACL token %q: %w", args.Name, structs.ErrNotFound)
		}
		reply.Token = t.Sanitize()
		return st.Index(state.TableACLTokens)
	})
}

// TokenSelf describes the request's own token.
func (a *ACL) TokenSelf(args *structs.GenericRequest, reply *structs.ACLTokenGetResponse) error {
	if done, err := a.srv.forward(structs.ACLTokenSelfRPC, args.AllowStale, args, reply); done {
		return err
	}
	if !a.srv.ACLEnabled() {
		return errACLDisabled
	}
	_, token, err := a.srv.ResolveToken(args.AuthToken)
	if err != nil {
		return err
	}
	if token == nil {
		return fmt.Errorf("Permission denied: the request carries no token (send it in X-Appmesh-Token)")
	}
	reply.Token = token.Sanitize()
	idx, err := a.srv.State().Index(state.TableACLTokens)
	reply.Index = idx
	return err
}
