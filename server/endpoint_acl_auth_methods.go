package server

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// defaultMethodTokenTTL is the life of a token an auth method login makes
// when the method sets none; maxMethodTokenTTL bounds what it may set.
const (
	defaultMethodTokenTTL = time.Hour
	maxMethodTokenTTL     = 24 * time.Hour
)

// UpsertAuthMethod creates or replaces an auth method after checking that
// its keys parse and its settings are sound.
func (a *ACL) UpsertAuthMethod(args *structs.ACLAuthMethodUpsertRequest, reply *structs.ACLAuthMethodResponse) error {
	if done, err := a.srv.forward(structs.ACLUpsertAuthMethodRPC, false, args, reply); done {
		return err
	}
	if !a.srv.ACLEnabled() {
		return errACLDisabled
	}
	m := args.Method
	if m == nil {
		return fmt.Errorf("invalid: no auth method given")
	}
	if err := state.ValidateName("auth method", m.Name); err != nil {
		return err
	}
	if m.Type != structs.AuthMethodTypeJWT {
		return fmt.Errorf("invalid: auth method type %q is not supported: use %q", m.Type, structs.AuthMethodTypeJWT)
	}
	if m.MaxTokenTTL < 0 || m.MaxTokenTTL.Std() > maxMethodTokenTTL {
		return fmt.Errorf("invalid: max_token_ttl must be between 0 (default %s) and %s", defaultMethodTokenTTL, maxMethodTokenTTL)
	}
	if err := validateAuthConfig(m.Config); err != nil {
		return fmt.Errorf("auth method %q: %w", m.Name, err)
	}
	idx, err := a.srv.applyChecked(structs.ACLAuthMethodUpsertRequestType, &structs.ACLAuthMethodUpsertEntry{Methods: []*structs.ACLAuthMethod{m}},
		func(tx *state.WriteTxn) error { return tx.UpsertACLAuthMethods([]*structs.ACLAuthMethod{m}) })
	if err != nil {
		return err
	}
	reply.Method, err = a.srv.State().ACLAuthMethodByName(nil, m.Name)
	reply.Index = idx
	return err
}

// DeleteAuthMethod removes auth methods and their binding rules. Tokens
// made through them stay until they expire or are deleted.
func (a *ACL) DeleteAuthMethod(args *structs.ACLNamesRequest, reply *structs.GenericResponse) error {
	if done, err := a.srv.forward(structs.ACLDeleteAuthMethodRPC, false, args, reply); done {
		return err
	}
	if len(args.Names) == 0 {
		return fmt.Errorf("invalid: no auth method name given")
	}
	idx, err := a.srv.applyChecked(structs.ACLAuthMethodDeleteRequestType, &structs.ACLAuthMethodDeleteEntry{Names: args.Names},
		func(tx *state.WriteTxn) error { return tx.DeleteACLAuthMethods(args.Names) })
	reply.Index = idx
	return err
}

func (a *ACL) ListAuthMethods(args *structs.GenericRequest, reply *structs.ACLAuthMethodListResponse) error {
	if done, err := a.srv.forward(structs.ACLListAuthMethodsRPC, args.AllowStale, args, reply); done {
		return err
	}
	return a.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		all, err := st.ACLAuthMethods(ws)
		if err != nil {
			return 0, err
		}
		reply.Methods = append([]*structs.ACLAuthMethod{}, all...)
		return st.Index(state.TableACLAuthMethods)
	})
}

func (a *ACL) GetAuthMethod(args *structs.ACLSpecificRequest, reply *structs.ACLAuthMethodResponse) error {
	if done, err := a.srv.forward(structs.ACLGetAuthMethodRPC, args.AllowStale, args, reply); done {
		return err
	}
	return a.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		m, err := st.ACLAuthMethodByName(ws, args.Name)
		if err != nil {
			return 0, err
		}
		if m == nil {
			return 0, fmt.Errorf("auth method %q: %w", args.Name, structs.ErrNotFound)
		}
		reply.Method = m
		return st.Index(state.TableACLAuthMethods)
	})
}

// UpsertBindingRule creates (no ID) or replaces a binding rule.
func (a *ACL) UpsertBindingRule(args *structs.ACLBindingRuleUpsertRequest, reply *structs.ACLBindingRuleResponse) error {
	if done, err := a.srv.forward(structs.ACLUpsertBindingRuleRPC, false, args, reply); done {
		return err
	}
	if !a.srv.ACLEnabled() {
		return errACLDisabled
	}
	if args.Rule == nil {
		return fmt.Errorf("invalid: no binding rule given")
	}
	r := *args.Rule
	if err := validateBindingRule(&r); err != nil {
		return err
	}
	if r.ID == "" {
		r.ID = structs.GenerateID()
	} else if old, err := a.srv.State().ACLBindingRuleByID(nil, r.ID); err != nil || old == nil {
		return fmt.Errorf("binding rule %q: %w", r.ID, structs.ErrNotFound)
	}
	idx, err := a.srv.applyChecked(structs.ACLBindingRuleUpsertRequestType, &structs.ACLBindingRuleUpsertEntry{Rules: []*structs.ACLBindingRule{&r}},
		func(tx *state.WriteTxn) error { return tx.UpsertACLBindingRules([]*structs.ACLBindingRule{&r}) })
	if err != nil {
		return err
	}
	reply.Rule, err = a.srv.State().ACLBindingRuleByID(nil, r.ID)
	reply.Index = idx
	return err
}

func validateBindingRule(r *structs.ACLBindingRule) error {
	if r.AuthMethod == "" {
		return fmt.Errorf("invalid: a binding rule needs an auth method")
	}
	if _, err := selectorMatches(r.Selector, mappedClaims{}); err != nil {
		return err
	}
	switch r.BindType {
	case structs.BindTypeRole, structs.BindTypePolicy:
		if r.BindName == "" {
			return fmt.Errorf("invalid: a %s binding needs a bind name", r.BindType)
		}
		probe, _ := bindName(r.BindName, mappedClaims{})
		if strings.Contains(probe, "${") || strings.Contains(probe, "}") {
			return fmt.Errorf("invalid: bind name %q: only ${value.NAME} may be filled in", r.BindName)
		}
	case structs.BindTypeManagement:
		if r.BindName != "" {
			return fmt.Errorf("invalid: a management binding takes no bind name")
		}
	default:
		return fmt.Errorf("invalid: bind type %q: use %q, %q or %q", r.BindType,
			structs.BindTypeRole, structs.BindTypePolicy, structs.BindTypeManagement)
	}
	return nil
}

func (a *ACL) DeleteBindingRule(args *structs.ACLNamesRequest, reply *structs.GenericResponse) error {
	if done, err := a.srv.forward(structs.ACLDeleteBindingRuleRPC, false, args, reply); done {
		return err
	}
	if len(args.Names) == 0 {
		return fmt.Errorf("invalid: no binding rule ID given")
	}
	idx, err := a.srv.applyChecked(structs.ACLBindingRuleDeleteRequestType, &structs.ACLBindingRuleDeleteEntry{IDs: args.Names},
		func(tx *state.WriteTxn) error { return tx.DeleteACLBindingRules(args.Names) })
	reply.Index = idx
	return err
}

// ListBindingRules lists binding rules; Name filters by auth method.
func (a *ACL) ListBindingRules(args *structs.ACLSpecificRequest, reply *structs.ACLBindingRuleListResponse) error {
	if done, err := a.srv.forward(structs.ACLListBindingRulesRPC, args.AllowStale, args, reply); done {
		return err
	}
	return a.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		all, err := st.ACLBindingRules(ws, args.Name)
		if err != nil {
			return 0, err
		}
		reply.Rules = append([]*structs.ACLBindingRule{}, all...)
		return st.Index(state.TableACLBindingRules)
	})
}

func (a *ACL) GetBindingRule(args *structs.ACLSpecificRequest, reply *structs.ACLBindingRuleResponse) error {
	if done, err := a.srv.forward(structs.ACLGetBindingRuleRPC, args.AllowStale, args, reply); done {
		return err
	}
	return a.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		r, err := st.ACLBindingRuleByID(ws, args.Name)
		if err != nil {
			return 0, err
		}
		if r == nil {
			return 0, fmt.Errorf("binding rule %q: %w", args.Name, structs.ErrNotFound)
		}
		reply.Rule = r
		return st.Index(state.TableACLBindingRules)
	})
}

// loginWithMethod exchanges an identity provider's JWT for an ACL token
// with an expiry, holding what the method's binding rules grant.
func (s *Server) loginWithMethod(args *structs.ACLLoginRequest, reply *structs.ACLLoginResponse) error {
	st := s.State()
	m, err := st.ACLAuthMethodByName(nil, args.AuthMethod)
	if err != nil {
		return err
	}
	if m == nil {
		return fmt.Errorf("Permission denied: auth method %q does not exist", args.AuthMethod)
	}
	if args.JWT == "" {
		return fmt.Errorf("invalid: a login with auth method %q needs the identity provider's JWT", m.Name)
	}
	claims, err := verifyOutsideJWT(m.Config, args.JWT)
	if err != nil {
		return err
	}
	mapped := mapClaims(m.Config, claims)
	rules, err := st.ACLBindingRules(nil, m.Name)
	if err != nil {
		return err
	}
	token, err := s.bindToken(m, rules, mapped)
	if err != nil {
		return err
	}
	sub, _ := claims["sub"].(string)
	token.Name = fmt.Sprintf("%s: %s", m.Name, sub)
	t, secret, err := prepareToken(st, token, time.Now().UTC())
	if err != nil {
		return err
	}
	idx, err := s.applyChecked(structs.ACLTokenUpsertRequestType, &structs.ACLTokenUpsertEntry{Tokens: []*structs.ACLToken{t}},
		func(tx *state.WriteTxn) error { return tx.UpsertACLTokens([]*structs.ACLToken{t}) })
	if err != nil {
		return err
	}
	s.logger.Info("login through auth method", "method", m.Name, "subject", sub, "accessor_id", t.AccessorID)
	reply.Token, reply.TokenType, reply.AccessorID = secret, "acl-token", t.AccessorID
	reply.ExpirationTime = *t.ExpirationTime
	reply.Roles, reply.Policies = t.Roles, t.Policies
	reply.Management = t.Type == structs.ACLTokenTypeManagement
	reply.Index = idx
	return nil
}

// bindToken applies the binding rules to the mapped claims. Roles and
// policies that do not exist are skipped (a claim may name a team with no
// role yet); a login that binds nothing is refused.
func (s *Server) bindToken(m *structs.ACLAuthMethod, rules []*structs.ACLBindingRule, mapped mappedClaims) (*structs.ACLToken, error) {
	st := s.State()
	ttl := m.MaxTokenTTL.Std()
	if ttl <= 0 {
		ttl = defaultMethodTokenTTL
	}
	t := &structs.ACLToken{Type: structs.ACLTokenTypeClient, ExpirationTTL: structs.Duration(ttl)}
	roles, policies := map[string]bool{}, map[string]bool{}
	for _, r := range rules {
		ok, err := selectorMatches(r.Selector, mapped)
		if err != nil || !ok {
			continue
		}
		name, ok := bindName(r.BindName, mapped)
		if !ok {
			continue
		}
		switch r.BindType {
		case structs.BindTypeManagement:
			t.Type = structs.ACLTokenTypeManagement
		case structs.BindTypeRole:
			if role, err := st.ACLRoleByName(nil, name); err == nil && role != nil {
				roles[name] = true
			}
		case structs.BindTypePolicy:
			if p, err := st.ACLPolicyByName(nil, name); err == nil && p != nil {
				policies[name] = true
			}
		}
	}
	if t.Type == structs.ACLTokenTypeManagement {
		return t, nil
	}
	if len(roles) == 0 && len(policies) == 0 {
		return nil, fmt.Errorf("Permission denied: no binding rule of auth method %q grants this identity anything", m.Name)
	}
	t.Roles, t.Policies = sortedSet(roles), sortedSet(policies)
	return t, nil
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
