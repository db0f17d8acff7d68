package structs

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Raft message types of the ACL system and of namespaces (phase 4).
const (
	ACLPolicyUpsertRequestType MessageType = 15
	ACLPolicyDeleteRequestType MessageType = 16
	ACLTokenUpsertRequestType  MessageType = 17
	ACLTokenDeleteRequestType  MessageType = 18
	ACLBootstrapRequestType    MessageType = 19
	ACLRoleUpsertRequestType   MessageType = 20
	ACLRoleDeleteRequestType   MessageType = 21
	NamespaceUpsertRequestType MessageType = 22
	NamespaceDeleteRequestType MessageType = 23
)

// Token types.
const (
	ACLTokenTypeClient     = "client"
	ACLTokenTypeManagement = "management"
)

// AnonymousPolicyName is the policy applied to requests without a token.
// It does not exist until an operator writes it, so anonymous requests are
// denied everything by default.
const AnonymousPolicyName = "anonymous"

// ACL RPC method names.
const (
	ACLBootstrapRPC      = "ACL.Bootstrap"
	ACLUpsertPoliciesRPC = "ACL.UpsertPolicies"
	ACLDeletePoliciesRPC = "ACL.DeletePolicies"
	ACLListPoliciesRPC   = "ACL.ListPolicies"
	ACLGetPolicyRPC      = "ACL.GetPolicy"
	ACLUpsertTokensRPC   = "ACL.UpsertTokens"
	ACLDeleteTokensRPC   = "ACL.DeleteTokens"
	ACLListTokensRPC     = "ACL.ListTokens"
	ACLGetTokenRPC       = "ACL.GetToken"
	ACLTokenSelfRPC      = "ACL.TokenSelf"
	ACLUpsertRolesRPC    = "ACL.UpsertRoles"
	ACLDeleteRolesRPC    = "ACL.DeleteRoles"
	ACLListRolesRPC      = "ACL.ListRoles"
	ACLGetRoleRPC        = "ACL.GetRole"
	// ACLAuthorizeRPC asks the servers whether a token may do something;
	// agents use it for the doors that are not RPCs (log and exec streams,
	// agent and operator routes).
	ACLAuthorizeRPC = "ACL.Authorize"
)

// HashSecret is how token secrets are stored: a SHA-256 hex digest, so that
// a stolen snapshot or Raft log holds no usable secret. Secrets are 122 bits
// of randomness (a UUID), so a fast hash is enough.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ACLPolicy is a named set of rules in HCL (see package acl).
type ACLPolicy struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Rules       string `json:"rules"`
	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
}

// ACLRole groups policies under a name; tokens may carry roles.
type ACLRole struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Policies    []string `json:"policies"`
	CreateIndex uint64   `json:"create_index"`
	ModifyIndex uint64   `json:"modify_index"`
}

// ACLToken is a bearer credential. The state store keeps only SecretHash;
// SecretID is filled in once, in the answer to the call that created the
// token, and never stored or shown again.
type ACLToken struct {
	AccessorID string `json:"accessor_id"`
	SecretID   string `json:"secret_id,omitempty"`
	// SecretHash is HashSecret(SecretID). It travels in Raft entries and
	// snapshots and is cleared from every API answer (Sanitize).
	SecretHash string   `json:"secret_hash,omitempty"`
	Name       string   `json:"name,omitempty"`
	Type       string   `json:"type"`
	Policies   []string `json:"policies,omitempty"`
	// Roles are role names.
	Roles []string `json:"roles,omitempty"`
	// ExpirationTime, when set, ends the token's validity.
	ExpirationTime *time.Time `json:"expiration_time,omitempty"`
	CreateTime     time.Time  `json:"create_time"`
	CreateIndex    uint64     `json:"create_index"`
	ModifyIndex    uint64     `json:"modify_index"`

	// ExpirationTTL is an input only: on create, the server sets
	// ExpirationTime to the create time plus this. It is a Duration so that
	// JSON carries a Go duration string ("1h"), like every duration in the API.
	ExpirationTTL Duration `json:"expiration_ttl,omitempty"`
}

// Sanitize returns a copy without the secret hash, for API answers.
func (t *ACLToken) Sanitize() *ACLToken {
	if t == nil {
		return nil
	}
	c := *t
	c.SecretHash = ""
	return &c
}

// IsExpired reports whether the token has expired at now.
func (t *ACLToken) IsExpired(now time.Time) bool {
	return t.ExpirationTime != nil && !now.Before(*t.ExpirationTime)
}

// ACLBootstrapEntry creates the first management token, once.
type ACLBootstrapEntry struct {
	Token *ACLToken `json:"token"`
	// ResetIndex must equal the stored bootstrap reset index (see
	// website/security.md: the documented reset procedure).
	ResetIndex uint64 `json:"reset_index"`
}

// ACLPolicyUpsertEntry / ACLPolicyDeleteEntry and friends are the Raft
// entries of the ACL tables.
type ACLPolicyUpsertEntry struct {
	Policies []*ACLPolicy `json:"policies"`
}
type ACLPolicyDeleteEntry struct {
	Names []string `json:"names"`
}
type ACLTokenUpsertEntry struct {
	Tokens []*ACLToken `json:"tokens"`
}
type ACLTokenDeleteEntry struct {
	AccessorIDs []string `json:"accessor_ids"`
}
type ACLRoleUpsertEntry struct {
	Roles []*ACLRole `json:"roles"`
}
type ACLRoleDeleteEntry struct {
	IDs []string `json:"ids"`
}

// --- RPC arguments and answers ---

type ACLBootstrapRequest struct {
	// ResetIndex is needed only after a reset (website/security.md).
	ResetIndex uint64 `json:"reset_index,omitempty"`
	WriteRequest
}

type ACLTokenResponse struct {
	Token *ACLToken `json:"token"`
	WriteMeta
}

type ACLPolicyUpsertRequest struct {
	Policies []*ACLPolicy `json:"policies"`
	WriteRequest
}

type ACLNamesRequest struct {
	Names []string `json:"names"`
	WriteRequest
}

type ACLPolicyListResponse struct {
	Policies []*ACLPolicy `json:"policies"`
	QueryMeta
}

type ACLSpecificRequest struct {
	// Name is a policy or role name, or a token accessor ID.
	Name string `json:"name"`
	QueryOptions
}

type ACLPolicyResponse struct {
	Policy *ACLPolicy `json:"policy"`
	QueryMeta
}

type ACLTokenUpsertRequest struct {
	Tokens []*ACLToken `json:"tokens"`
	WriteRequest
}

type ACLTokenUpsertResponse struct {
	Tokens []*ACLToken `json:"tokens"`
	WriteMeta
}

type ACLTokenListResponse struct {
	Tokens []*ACLToken `json:"tokens"`
	QueryMeta
}

type ACLTokenGetResponse struct {
	Token *ACLToken `json:"token"`
	QueryMeta
}

type ACLRoleUpsertRequest struct {
	Roles []*ACLRole `json:"roles"`
	WriteRequest
}

type ACLRoleUpsertResponse struct {
	Roles []*ACLRole `json:"roles"`
	WriteMeta
}

type ACLRoleListResponse struct {
	Roles []*ACLRole `json:"roles"`
	QueryMeta
}

type ACLRoleResponse struct {
	Role *ACLRole `json:"role"`
	QueryMeta
}

// Authorization kinds of ACLAuthorizeRequest.
const (
	AuthorizeNamespace  = "namespace"  // Capability in Namespace
	AuthorizeAlloc      = "alloc"      // Capability in the namespace of AllocID
	AuthorizeNode       = "node"       // Access read|write
	AuthorizeAgent      = "agent"      // Access read|write
	AuthorizeOperator   = "operator"   // Access read|write
	AuthorizeToken      = "token"      // any valid token (or the anonymous policy)
	AuthorizeManagement = "management" // a management token; Capability says for what
)

// ACLAuthorizeRequest asks whether the request's token may do one thing.
type ACLAuthorizeRequest struct {
	Kind       string `json:"kind"`
	Capability string `json:"capability,omitempty"`
	Access     string `json:"access,omitempty"`
	AllocID    string `json:"alloc_id,omitempty"`
	QueryOptions
}

// ACLAuthorizeResponse carries, for AuthorizeAlloc, the allocation's
// namespace and node (so the caller needs no second lookup).
type ACLAuthorizeResponse struct {
	Namespace string `json:"namespace,omitempty"`
	NodeID    string `json:"node_id,omitempty"`
	QueryMeta
}

// ACLTokenTypeNode marks the token the servers make up for a client agent
// that authenticates with its node secret; it is never stored.
const ACLTokenTypeNode = "node"

// nodeCredentialPrefix starts the token a client agent sends on the calls
// it makes for its own node that are not Node.* calls (reading job versions
// and allocations, the "remove" exit action).
const nodeCredentialPrefix = "node."

// NodeCredential is the token a client agent sends: its node ID and secret.
func NodeCredential(nodeID, secret string) string {
	return nodeCredentialPrefix + nodeID + "." + secret
}

// ParseNodeCredential splits a NodeCredential; ok is false for any other
// token. Node IDs never contain '.', so the first one after the prefix
// ends the ID.
func ParseNodeCredential(token string) (nodeID, secret string, ok bool) {
	rest, found := strings.CutPrefix(token, nodeCredentialPrefix)
	if !found {
		return "", "", false
	}
	nodeID, secret, ok = strings.Cut(rest, ".")
	return nodeID, secret, ok && nodeID != "" && secret != ""
}
