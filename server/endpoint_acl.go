package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// ACL is the RPC endpoint of the ACL system: bootstrap, policies, tokens,
// roles, and the authorization question agents ask for their own doors.
type ACL struct{ srv *Server }

// BootstrapResetFile, written in a server's data directory with the reset
// index that a refused bootstrap names, allows one more bootstrap: the
// documented way back in when the management token is lost.
const BootstrapResetFile = "acl-bootstrap-reset"

var errACLDisabled = errors.New("invalid: ACLs are disabled on this server: start the agents with acl { enabled = true } or -acl-enabled")

// Bootstrap creates the first management token. It works once; a second
// call is refused with the reset index that the reset procedure needs.
func (a *ACL) Bootstrap(args *structs.ACLBootstrapRequest, reply *structs.ACLTokenResponse) error {
	if done, err := a.srv.forward(structs.ACLBootstrapRPC, false, args, reply); done {
		return err
	}
	if !a.srv.ACLEnabled() {
		return errACLDisabled
	}
	reset := args.ResetIndex
	if reset == 0 {
		reset = a.srv.bootstrapResetIndex()
	}
	secret := structs.GenerateID()
	token := &structs.ACLToken{
		AccessorID: structs.GenerateID(), SecretHash: structs.HashSecret(secret),
		Name: "Bootstrap Token", Type: structs.ACLTokenTypeManagement,
		CreateTime: time.Now().UTC(),
	}
	// A second bootstrap is refused by the state (a conflict naming the
	// reset index).
	idx, err := a.srv.applyChecked(structs.ACLBootstrapRequestType, &structs.ACLBootstrapEntry{Token: token, ResetIndex: reset},
		func(tx *state.WriteTxn) error { return tx.BootstrapACLToken(token, reset) })
	if err != nil {
		return err
	}
	a.srv.logger.Info("ACL system bootstrapped", "accessor_id", token.AccessorID)
	stored, err := a.srv.State().ACLTokenByAccessorID(nil, token.AccessorID)
	if err != nil || stored == nil {
		return fmt.Errorf("read the bootstrap token back: %v", err)
	}
	out := stored.Sanitize()
	out.SecretID = secret
	reply.Token, reply.Index = out, idx
	return nil
}

// bootstrapResetIndex reads the reset file of the data directory, if any.
func (s *Server) bootstrapResetIndex() uint64 {
	if s.config.DataDir == "" {
		return 0
	}
	raw, err := os.ReadFile(filepath.Join(s.config.DataDir, BootstrapResetFile))
	if err != nil {
		return 0
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(raw)), 10, 64)
	if err != nil {
		s.logger.Warn("ignoring ACL bootstrap reset file: not a number", "file", BootstrapResetFile)
		return 0
	}
	return n
}

// maxPolicyRules bounds one policy's rules: every server keeps and parses
// them, and a real policy is a few hundred bytes.
const maxPolicyRules = 64 << 10

// UpsertPolicies writes policies after checking that their rules parse.
func (a *ACL) UpsertPolicies(args *structs.ACLPolicyUpsertRequest, reply *structs.GenericResponse) error {
	if done, err := a.srv.forward(structs.ACLUpsertPoliciesRPC, false, args, reply); done {
		return err
	}
	if !a.srv.ACLEnabled() {
		return errACLDisabled
	}
	if len(args.Policies) == 0 {
		return fmt.Errorf("invalid: no policy given")
	}
	for _, p := range args.Policies {
		if p == nil {
			return fmt.Errorf("invalid: empty policy")
		}
		if err := state.ValidateName("policy", p.Name); err != nil {
			return err
		}
		if len(p.Rules) > maxPolicyRules {
			return fmt.Errorf("invalid: policy %q: rules are %d bytes; the limit is %d", p.Name, len(p.Rules), maxPolicyRules)
		}
		if _, err := acl.Parse(p.Rules); err != nil {
			return fmt.Errorf("invalid: policy %q: %w", p.Name, err)
		}
	}
	idx, err := a.srv.applyChecked(structs.ACLPolicyUpsertRequestType, &structs.ACLPolicyUpsertEntry{Policies: args.Policies},
		func(tx *state.WriteTxn) error { return tx.UpsertACLPolicies(args.Policies) })
	reply.Index = idx
	return err
}

// DeletePolicies removes policies by name.
func (a *ACL) DeletePolicies(args *structs.ACLNamesRequest, reply *structs.GenericResponse) error {
	if done, err := a.srv.forward(structs.ACLDeletePoliciesRPC, false, args, reply); done {
		return err
	}
	if len(args.Names) == 0 {
		return fmt.Errorf("invalid: no policy name given")
	}
	idx, err := a.srv.applyChecked(structs.ACLPolicyDeleteRequestType, &structs.ACLPolicyDeleteEntry{Names: args.Names},
		func(tx *state.WriteTxn) error { return tx.DeleteACLPolicies(args.Names) })
	reply.Index = idx
	return err
}

// ListPolicies lists every policy for a management token, otherwise the
// policies the token holds directly or through its roles.
func (a *ACL) ListPolicies(args *structs.GenericRequest, reply *structs.ACLPolicyListResponse) error {
	if done, err := a.srv.forward(structs.ACLListPoliciesRPC, args.AllowStale, args, reply); done {
		return err
	}
	_, token, err := a.srv.ResolveToken(args.AuthToken)
	if err != nil {
		return err
	}
	return a.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		all, err := st.ACLPolicies(ws)
		if err != nil {
			return 0, err
		}
		own, err := a.srv.tokenPolicyNames(st, token)
		if err != nil {
			return 0, err
		}
		reply.Policies = make([]*structs.ACLPolicy, 0, len(all))
		for _, p := range all {
			if own == nil || own[p.Name] {
				reply.Policies = append(reply.Policies, p)
			}
		}
		return st.Index(state.TableACLPolicies)
	})
}

// GetPolicy reads one policy the token may see.
func (a *ACL) GetPolicy(args *structs.ACLSpecificRequest, reply *structs.ACLPolicyResponse) error {
	if done, err := a.srv.forward(structs.ACLGetPolicyRPC, args.AllowStale, args, reply); done {
		return err
	}
	_, token, err := a.srv.ResolveToken(args.AuthToken)
	if err != nil {
		return err
	}
	own, err := a.srv.tokenPolicyNames(a.srv.State(), token)
	if err != nil {
		return err
	}
	if own != nil && !own[args.Name] {
		return fmt.Errorf("Permission denied: policy %q is not one of the token's (a management token reads any policy)", args.Name)
	}
	return a.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		p, err := st.ACLPolicyByName(ws, args.Name)
		if err != nil {
			return 0, err
		}
		if p == nil {
			return 0, fmt.Errorf("ACL policy %q: %w", args.Name, structs.ErrNotFound)
		}
		reply.Policy = p
		return st.Index(state.TableACLPolicies)
	})
}

// seesAllACLs reports whether a request may read every policy and role:
// management tokens, and everyone while ACLs are off. An anonymous request
// (nil token with ACLs on) sees the anonymous policy only.
func (s *Server) seesAllACLs(token *structs.ACLToken) bool {
	return !s.ACLEnabled() || token != nil && token.Type == structs.ACLTokenTypeManagement
}

// tokenPolicyNames returns the policies a token holds, directly or through
// roles; nil means all.
func (s *Server) tokenPolicyNames(st *state.StateStore, token *structs.ACLToken) (map[string]bool, error) {
	if s.seesAllACLs(token) {
		return nil, nil
	}
	if token == nil {
		return map[string]bool{structs.AnonymousPolicyName: true}, nil
	}
	out := map[string]bool{}
	for _, p := range token.Policies {
		out[p] = true
	}
	for _, r := range token.Roles {
		role, err := st.ACLRoleByName(nil, r)
		if err != nil {
			return nil, err
		}
		if role != nil {
			for _, p := range role.Policies {
				out[p] = true
			}
		}
	}
	return out, nil
}
