package structs

import (
	"fmt"
	"strings"
)

// The service mesh: a CA in the servers' state (mesh_ca*.go), intentions
// and traffic splits (mesh_policy*.go), and the configuration a client
// agent hands to the sidecar proxy of one service (MeshProxyConfig). This
// file is the contract between those parts; the proxy itself lives in
// mesh/proxy and knows nothing of Raft or RPC.

// Raft message types of the mesh.
const (
	MeshCARootsRequestType   MessageType = 60
	MeshIntentionRequestType MessageType = 61
	MeshSplitRequestType     MessageType = 62
)

// RPC methods of the mesh.
const (
	// MeshCARootsRPC returns the trusted roots (public part only); a
	// blocking query on the roots' index.
	MeshCARootsRPC = "Mesh.CARoots"
	// MeshSignLeafRPC signs a CSR for one service. A client agent calls it
	// with its node secret and may only ask for services of allocations
	// placed on its node; an operator token with mesh write may ask for any.
	MeshSignLeafRPC = "Mesh.SignLeaf"
	// MeshRotateRootRPC makes a new root active; the old one stays trusted
	// until every leaf it signed has expired.
	MeshRotateRootRPC = "Mesh.RotateRoot"

	MeshIntentionUpsertRPC = "Mesh.IntentionUpsert"
	MeshIntentionDeleteRPC = "Mesh.IntentionDelete"
	// MeshIntentionListRPC is a blocking query on the intentions' index.
	MeshIntentionListRPC  = "Mesh.IntentionList"
	MeshIntentionCheckRPC = "Mesh.IntentionCheck"

	MeshSplitUpsertRPC = "Mesh.SplitUpsert"
	MeshSplitDeleteRPC = "Mesh.SplitDelete"
	// MeshSplitListRPC is a blocking query on the splits' index.
	MeshSplitListRPC = "Mesh.SplitList"
)

// DefaultMeshLeafTTL is a leaf certificate's lifetime; the client renews it
// at two thirds.
const DefaultMeshLeafTTL = Duration(72 * 60 * 60 * 1e9)

// MeshTrustDomain is the SPIFFE trust domain of a cluster: "<region>.appmesh"
// unless the agent config sets another.
func MeshTrustDomain(region string) string {
	if region == "" {
		region = "global"
	}
	return region + ".appmesh"
}

// MeshSPIFFEID is a service's identity, the URI SAN of its leaf
// certificate: spiffe://<trust domain>/ns/<namespace>/svc/<service>.
func MeshSPIFFEID(trustDomain, namespace, service string) string {
	return "spiffe://" + trustDomain + "/ns/" + namespace + "/svc/" + service
}

// ParseMeshSPIFFEID splits an identity made by MeshSPIFFEID.
func ParseMeshSPIFFEID(id string) (trustDomain, namespace, service string, err error) {
	rest, ok := strings.CutPrefix(id, "spiffe://")
	if !ok {
		return "", "", "", fmt.Errorf("mesh identity %q is not a spiffe:// URI", id)
	}
	parts := strings.Split(rest, "/")
	// Consul Connect's identities name the datacenter too:
	// spiffe://<domain>/ns/<namespace>/dc/<dc>/svc/<service>. The proxies
	// accept both forms; the datacenter takes no part in intentions.
	if len(parts) == 7 && parts[3] == "dc" && parts[4] != "" {
		parts = append(parts[:3:3], parts[5:]...)
	}
	if len(parts) != 5 || parts[1] != "ns" || parts[3] != "svc" || parts[0] == "" || parts[2] == "" || parts[4] == "" {
		return "", "", "", fmt.Errorf("mesh identity %q is not spiffe://<domain>/ns/<namespace>/svc/<service> (or Consul's .../ns/<namespace>/dc/<dc>/svc/<service>)", id)
	}
	return parts[0], parts[2], parts[4], nil
}

// ConsulSPIFFEID is the identity Consul Connect gives a service:
// spiffe://<trust domain>/ns/<namespace>/dc/<dc>/svc/<service>.
func ConsulSPIFFEID(trustDomain, namespace, datacenter, service string) string {
	return "spiffe://" + trustDomain + "/ns/" + namespace + "/dc/" + datacenter + "/svc/" + service
}

// MeshCARoot is one trusted root as clients and operators see it. The
// private key never leaves the servers' state.
type MeshCARoot struct {
	ID      string `json:"id"` // hex SHA-256 of the certificate's DER
	CertPEM string `json:"cert_pem"`
	// Active signs new leaves; exactly one root is active.
	Active      bool   `json:"active"`
	NotBefore   int64  `json:"not_before"` // unix seconds
	NotAfter    int64  `json:"not_after"`
	CreateIndex uint64 `json:"create_index"`

	// TrustUntil, on a root retired by a rotation, is when its last leaf
	// expires and it stops being trusted (unix seconds; 0 while active).
	TrustUntil int64 `json:"trust_until,omitempty"`
}

// MeshCARootsResponse lists the trusted roots.
type MeshCARootsResponse struct {
	TrustDomain string        `json:"trust_domain"`
	Roots       []*MeshCARoot `json:"roots"`
	QueryMeta
}

// MeshSignLeafRequest asks for a leaf certificate for one service.
type MeshSignLeafRequest struct {
	Namespace string `json:"namespace"`
	Service   string `json:"service"`
	// CSRPEM is a PKCS#10 request; the server ignores its subject and sets
	// the SPIFFE URI SAN itself.
	CSRPEM string `json:"csr_pem"`
	// NodeID and SecretID authenticate a client agent (as in
	// ServiceUpsertRequest); without them the token must have operator
	// write.
	NodeID   string `json:"node_id,omitempty"`
	SecretID string `json:"secret_id,omitempty"`
	WriteRequest
}

// MeshLeaf is a signed leaf certificate.
type MeshLeaf struct {
	CertPEM     string `json:"cert_pem"`
	SPIFFEID    string `json:"spiffe_id"`
	Serial      string `json:"serial"`
	RootID      string `json:"root_id"`
	ValidAfter  int64  `json:"valid_after"` // unix seconds
	ValidBefore int64  `json:"valid_before"`
}

// Intention actions.
const (
	IntentionAllow = "allow"
	IntentionDeny  = "deny"
)

// MeshWildcard matches any namespace or service in an intention.
const MeshWildcard = "*"

// Intention allows or denies connections from one service to another
// (Consul's semantics): exact names take precedence over wildcards, and
// between equally precise intentions deny wins. With none matching, the
// destination namespace's default policy decides.
type Intention struct {
	ID                   string `json:"id"`
	SourceNamespace      string `json:"source_namespace"`
	SourceName           string `json:"source_name"`
	DestinationNamespace string `json:"destination_namespace"`
	DestinationName      string `json:"destination_name"`
	Action               string `json:"action"`
	Description          string `json:"description,omitempty"`
	// Precedence is derived from the wildcards (higher is more precise).
	Precedence  int    `json:"precedence"`
	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
}

// MeshSplit is the traffic management of one service: named subsets chosen
// by tags or job version, weights between them, and HTTP routes that send
// matching requests to one subset.
type MeshSplit struct {
	Namespace   string        `json:"namespace"`
	Service     string        `json:"service"`
	Subsets     []*MeshSubset `json:"subsets"`
	Routes      []*MeshRoute  `json:"routes,omitempty"`
	CreateIndex uint64        `json:"create_index"`
	ModifyIndex uint64        `json:"modify_index"`
}

// MeshSubset is a part of a service's instances with its share of traffic.
type MeshSubset struct {
	Name string `json:"name"`
	// Tags: an instance belongs if it has all of them.
	Tags []string `json:"tags,omitempty"`
	// JobVersion, when set, selects instances of that job version.
	JobVersion *uint64 `json:"job_version,omitempty"`
	// Weight is the subset's share (the weights of a split add up to 100).
	Weight int `json:"weight"`
}

// MeshRoute sends HTTP requests that match to one subset.
type MeshRoute struct {
	PathPrefix string            `json:"path_prefix,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	Subset     string            `json:"subset"`
	// Retries of a failed request (connect error or 5xx) with back-off.
	Retries int      `json:"retries,omitempty"`
	Timeout Duration `json:"timeout,omitempty"`
}

// MeshProxyConfigPath is where a client agent serves a sidecar proxy's
// configuration: GET <path>?alloc_id=<id>&service=<name>&index=<n> is a
// blocking query that returns when anything in MeshProxyConfig changes
// (leaf renewed, roots rotated, intentions, splits, upstream instances).
// The proxy authenticates with the alloc's workload token
// (secrets/appmesh_token) or, without ACLs, from loopback.
const MeshProxyConfigPath = "/v1/mesh/proxy/config"

// MeshProxyConfig is everything one sidecar proxy needs, resolved by the
// client agent so that the proxy holds no cluster logic.
type MeshProxyConfig struct {
	// Index changes whenever anything below changes.
	Index       uint64 `json:"index"`
	Namespace   string `json:"namespace"`
	Service     string `json:"service"`
	SPIFFEID    string `json:"spiffe_id"`
	TrustDomain string `json:"trust_domain"`

	// Gateway is "ingress" for an ingress gateway (MeshGatewayIngress):
	// it has no inbound listener, and its upstream listeners are bound on
	// the node's address (LocalBindAddr) for callers outside the mesh.
	// Empty for a sidecar.
	Gateway string `json:"gateway,omitempty"`

	// Inbound: the mTLS listener other proxies dial, and the task's own
	// address it forwards to. Empty for a gateway.
	InboundAddr      string `json:"inbound_addr"` // host:port to listen on
	LocalServiceAddr string `json:"local_service_addr"`
	// Protocol is "tcp" (default) or "http" (L7: routes, retries, metrics).
	Protocol string `json:"protocol,omitempty"`

	LeafCertPEM string   `json:"leaf_cert_pem"`
	LeafKeyPEM  string   `json:"leaf_key_pem"`
	RootsPEM    []string `json:"roots_pem"`

	// Intentions that name this service (or a wildcard) as destination,
	// and the default when none matches.
	Intentions   []*Intention `json:"intentions"`
	DefaultAllow bool         `json:"default_allow"`

	Upstreams []*MeshUpstreamConfig `json:"upstreams"`
}

// MeshUpstreamConfig is one outbound listener of a proxy.
type MeshUpstreamConfig struct {
	DestinationNamespace string `json:"destination_namespace"`
	DestinationName      string `json:"destination_name"`
	LocalBindAddr        string `json:"local_bind_addr"` // host:port, 127.0.0.1 by default
	Protocol             string `json:"protocol,omitempty"`
	// Instances are the healthy proxies of the destination.
	Instances []*MeshInstance `json:"instances"`
	// Split, when the destination has one: the proxy picks a subset by
	// weight (or by route) and then an instance in it.
	Split *MeshSplit `json:"split,omitempty"`
	// ConnectTimeout bounds one dial.
	ConnectTimeout Duration `json:"connect_timeout,omitempty"`
}

// MeshInstance is one healthy instance of a destination, reached at its
// sidecar proxy's inbound address.
type MeshInstance struct {
	Address    string   `json:"address"`
	Port       int      `json:"port"`
	Tags       []string `json:"tags,omitempty"`
	JobVersion uint64   `json:"job_version"`
	SPIFFEID   string   `json:"spiffe_id"`
	AllocID    string   `json:"alloc_id"`
}
