package structs

import "time"

// The mesh CA's server-side types (server/endpoint_mesh_ca.go,
// server/mesh_ca.go); the public ones are in mesh.go.

func init() { messageTypeNames[MeshCARootsRequestType] = "mesh_ca_roots" }

// MeshCARootRecord is one root as the servers' state holds it: the public
// part, its private key, and when it stops being trusted after a rotation.
//
// PrivateKeyPEM is a secret. It lives in Raft, snapshots and the servers'
// memory only (like ACLSigningKey's key): no RPC or HTTP response carries a
// record, only MeshCARoot (Public), and nothing logs it. It is not
// encrypted at rest: the servers have no key of their own that outlives a
// restart and is not itself in the data directory (the gossip keyring is
// optional and rotates); protect the data directory as for ACL tokens.
type MeshCARootRecord struct {
	ID            string `json:"id"`
	TrustDomain   string `json:"trust_domain"`
	CertPEM       string `json:"cert_pem"`
	PrivateKeyPEM string `json:"private_key_pem,omitempty"`
	Active        bool   `json:"active"`
	NotBefore     int64  `json:"not_before"`
	NotAfter      int64  `json:"not_after"`
	// RotatedAt is when a rotation made another root active (unix seconds,
	// 0 while active). TrustUntil is when every leaf this root signed has
	// expired (rotation time + the longest leaf TTL): the leader deletes
	// the record then.
	RotatedAt   int64  `json:"rotated_at,omitempty"`
	TrustUntil  int64  `json:"trust_until,omitempty"`
	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
}

// Public is what clients and operators may see of a root.
func (r *MeshCARootRecord) Public() *MeshCARoot {
	return &MeshCARoot{ID: r.ID, CertPEM: r.CertPEM, Active: r.Active,
		NotBefore: r.NotBefore, NotAfter: r.NotAfter, TrustUntil: r.TrustUntil, CreateIndex: r.CreateIndex}
}

// TrustedAt reports whether the root is still trusted at now.
func (r *MeshCARootRecord) TrustedAt(now time.Time) bool {
	return r.Active || r.TrustUntil == 0 || now.Unix() < r.TrustUntil
}

// MeshCARootsEntry is the Raft entry of MeshCARootsRequestType: roots to
// store (a new one, or an old one retired by a rotation) and IDs to
// delete. The FSM refuses an entry that would leave more than one root
// active, so two leaders racing to create the first root, or two
// rotations at once, cannot leave two.
type MeshCARootsEntry struct {
	Upserts []*MeshCARootRecord `json:"upserts,omitempty"`
	Deletes []string            `json:"deletes,omitempty"`
}

// MeshCARootsRequest reads the trusted roots (Mesh.CARoots).
type MeshCARootsRequest struct {
	QueryOptions
}

// MeshRotateRootRequest asks for a new active root (Mesh.RotateRoot).
type MeshRotateRootRequest struct {
	WriteRequest
}

// MeshRotateRootResponse names the new active root and the retired one.
type MeshRotateRootResponse struct {
	Root      *MeshCARoot `json:"root"`
	RetiredID string      `json:"retired_id,omitempty"`
	// TrustUntil is when the retired root stops being trusted (unix
	// seconds).
	TrustUntil int64 `json:"trust_until,omitempty"`
	WriteMeta
}
