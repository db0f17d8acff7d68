package server

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// Errors of token resolution. Their texts start with "Permission denied"
// so that they keep their meaning (403) across an RPC hop, and they never
// contain the secret.
var (
	errTokenNotFound = errors.New("Permission denied: ACL token not found")
	errTokenExpired  = errors.New("Permission denied: ACL token expired")
)

// aclCacheSize bounds the compiled-ACL cache; it is cleared when full.
const aclCacheSize = 4096

// tokenFreshnessWait is how long a follower waits for a token it does not
// know yet: one just created on the leader may not have reached it.
const tokenFreshnessWait = time.Second

// aclResolver turns a token secret into a compiled ACL. Compiling parses
// HCL, so results are cached per secret hash and per policy, and dropped as
// soon as any ACL table changes (the cache key includes their indexes).
type aclResolver struct {
	mu       sync.Mutex
	version  uint64
	tokens   map[string]*resolved // by secret hash
	policies map[string]*acl.Policy
}

type resolved struct {
	acl   *acl.ACL
	token *structs.ACLToken
}

// ACLEnabled reports whether this server enforces ACLs.
func (s *Server) ACLEnabled() bool { return s.config.ACLEnabled }

// ResolveToken returns what a token secret may do. With ACLs disabled every
// request may do everything. An empty secret gets the anonymous policy
// (deny all unless an operator wrote one). The token is nil for anonymous
// requests and when ACLs are off.
func (s *Server) ResolveToken(secret string) (*acl.ACL, *structs.ACLToken, error) {
	if !s.config.ACLEnabled {
		return acl.Management(), nil, nil
	}
	st := s.State()
	version, err := aclTablesVersion(st)
	if err != nil {
		return nil, nil, err
	}
	if secret == "" {
		a, err := s.anonymousACL(st, version)
		return a, nil, err
	}
	if nodeID, nodeSecret, ok := structs.ParseNodeCredential(secret); ok {
		return s.resolveNodeCredential(nodeID, nodeSecret)
	}
	if looksLikeJWT(secret) {
		return s.resolveUserJWT(secret, version)
	}
	hash := structs.HashSecret(secret)
	if r := s.aclCache.get(version, hash); r != nil {
		if r.token.IsExpired(time.Now()) {
			return nil, nil, errTokenExpired
		}
		return r.acl, r.token, nil
	}
	token, err := s.lookupToken(hash)
	if err != nil {
		return nil, nil, err
	}
	if token.IsExpired(time.Now()) {
		return nil, nil, errTokenExpired
	}
	// The version is re-read after a freshness wait so the cache entry is
	// not stored under an older key than the state it came from.
	if version, err = aclTablesVersion(s.State()); err != nil {
		return nil, nil, err
	}
	a, err := s.compileToken(s.State(), version, token)
	if err != nil {
		return nil, nil, err
	}
	s.aclCache.put(version, hash, &resolved{acl: a, token: token})
	return a, token, nil
}

// nodeACL is what a client agent may do with its node secret: read jobs
// and allocations of every namespace (to run what the scheduler placed on
// it) and read nodes. Writes for its own node go through the Node.* calls,
// which check the node secret themselves.
var nodeACL = acl.New([]*acl.Policy{{
	Namespaces: []*acl.NamespaceRule{{Name: "*", Policy: acl.PolicyRead}},
	Node:       acl.PolicyRead,
}})

// resolveNodeCredential checks a node ID and secret against the node's
// stored hash. The token it returns names the node for rules that let a
// node act on its own allocations' jobs.
func (s *Server) resolveNodeCredential(nodeID, secret string) (*acl.ACL, *structs.ACLToken, error) {
	node, err := s.State().NodeByID(nil, nodeID)
	if err != nil {
		return nil, nil, fmt.Errorf("look up node %s: %w", nodeID, err)
	}
	if node == nil || !secretMatches(node, secret) {
		return nil, nil, fmt.Errorf("Permission denied: node secret does not match node %s", nodeID)
	}
	return nodeACL, &structs.ACLToken{AccessorID: nodeID, Type: structs.ACLTokenTypeNode}, nil
}

// lookupToken finds a token by its secret hash. A follower that does not
// know it waits briefly for replication before saying it does not exist.
func (s *Server) lookupToken(hash string) (*structs.ACLToken, error) {
	deadline := time.Now().Add(tokenFreshnessWait)
	for {
		token, err := s.State().ACLTokenBySecretHash(nil, hash)
		if err != nil {
			return nil, fmt.Errorf("look up ACL token: %w", err)
		}
		if token != nil {
			return token, nil
		}
		if s.IsLeader() || time.Now().After(deadline) || s.shutdownCtx.Err() != nil {
			return nil, errTokenNotFound
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// compileToken builds the ACL of a token from its policies and roles.
// Policies or roles that no longer exist grant nothing.
func (s *Server) compileToken(st *state.StateStore, version uint64, token *structs.ACLToken) (*acl.ACL, error) {
	if token.Type == structs.ACLTokenTypeManagement {
		return acl.Management(), nil
	}
	names := map[string]bool{}
	for _, p := range token.Policies {
		names[p] = true
	}
	for _, r := range token.Roles {
		role, err := st.ACLRoleByName(nil, r)
		if err != nil {
			return nil, fmt.Errorf("look up ACL role %q: %w", r, err)
		}
		if role != nil {
			for _, p := range role.Policies {
				names[p] = true
			}
		}
	}
	return s.compilePolicies(st, version, names)
}

func (s *Server) anonymousACL(st *state.StateStore, version uint64) (*acl.ACL, error) {
	const key = "\x00anonymous"
	if r := s.aclCache.get(version, key); r != nil {
		return r.acl, nil
	}
	a, err := s.compilePolicies(st, version, map[string]bool{structs.AnonymousPolicyName: true})
	if err != nil {
		return nil, err
	}
	s.aclCache.put(version, key, &resolved{acl: a})
	return a, nil
}

func (s *Server) compilePolicies(st *state.StateStore, version uint64, names map[string]bool) (*acl.ACL, error) {
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	policies := make([]*acl.Policy, 0, len(sorted))
	for _, name := range sorted {
		p, err := s.parsedPolicy(st, version, name)
		if err != nil {
			return nil, err
		}
		if p != nil {
			policies = append(policies, p)
		}
	}
	return acl.New(policies), nil
}

// parsedPolicy returns a stored policy, parsed, or nil if it does not exist.
// Stored policies were validated when written; one that no longer parses
// (a newer server wrote it) grants nothing and is logged.
func (s *Server) parsedPolicy(st *state.StateStore, version uint64, name string) (*acl.Policy, error) {
	if p, ok := s.aclCache.policy(version, name); ok {
		return p, nil
	}
	stored, err := st.ACLPolicyByName(nil, name)
	if err != nil {
		return nil, fmt.Errorf("look up ACL policy %q: %w", name, err)
	}
	var p *acl.Policy
	if stored != nil {
		if p, err = acl.Parse(stored.Rules); err != nil {
			s.logger.Warn("stored ACL policy does not parse; it grants nothing", "policy", name, "error", err)
			p = nil
		}
	}
	s.aclCache.putPolicy(version, name, p)
	return p, nil
}

// aclTablesVersion changes whenever a token, policy or role is written.
func aclTablesVersion(st *state.StateStore) (uint64, error) {
	return maxTableIndex(st, state.TableACLTokens, state.TableACLPolicies, state.TableACLRoles,
		state.TableACLUsers, state.TableACLLoginSessions, state.TableACLSigningKeys)
}

func (c *aclResolver) reset(version uint64) {
	c.version = version
	c.tokens = map[string]*resolved{}
	c.policies = map[string]*acl.Policy{}
}

func (c *aclResolver) get(version uint64, key string) *resolved {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version || c.tokens == nil {
		return nil
	}
	return c.tokens[key]
}

func (c *aclResolver) put(version uint64, key string, r *resolved) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version || c.tokens == nil || len(c.tokens) >= aclCacheSize {
		c.reset(version)
	}
	c.tokens[key] = r
}

func (c *aclResolver) policy(version uint64, name string) (*acl.Policy, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version || c.policies == nil {
		return nil, false
	}
	p, ok := c.policies[name]
	return p, ok
}

func (c *aclResolver) putPolicy(version uint64, name string, p *acl.Policy) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version || c.policies == nil {
		c.reset(version)
	}
	c.policies[name] = p
}

// isPermissionDenied reports an authorization failure, also after an RPC
// hop turned the error into text.
func isPermissionDenied(err error) bool {
	return err != nil && (acl.IsPermissionDenied(err) || strings.HasPrefix(err.Error(), "Permission denied"))
}
