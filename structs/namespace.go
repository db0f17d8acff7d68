package structs

// Namespace partitions jobs, allocations, evaluations, schedules and remote
// runs. The "default" namespace always exists.
type Namespace struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Meta        map[string]string `json:"meta,omitempty"`
	// MeshDefaultAction decides mesh connections into the namespace that
	// no intention matches: "allow", "deny", or unset (allow without
	// ACLs, deny with them; see MeshDefaultAllows).
	MeshDefaultAction string `json:"mesh_default_action,omitempty"`
	CreateIndex       uint64 `json:"create_index"`
	ModifyIndex       uint64 `json:"modify_index"`
}

// AllNamespacesSentinel in a list request's namespace means every namespace
// the token may see.
const AllNamespacesSentinel = "*"

// Namespace RPC method names.
const (
	NamespaceUpsertRPC = "Namespace.Upsert"
	NamespaceDeleteRPC = "Namespace.Delete"
	NamespaceListRPC   = "Namespace.List"
	NamespaceGetRPC    = "Namespace.Get"
)

// NamespaceUpsertEntry / NamespaceDeleteEntry are the Raft entries.
type NamespaceUpsertEntry struct {
	Namespaces []*Namespace `json:"namespaces"`
}
type NamespaceDeleteEntry struct {
	Names []string `json:"names"`
}

type NamespaceUpsertRequest struct {
	Namespaces []*Namespace `json:"namespaces"`
	WriteRequest
}

type NamespaceDeleteRequest struct {
	Names []string `json:"names"`
	WriteRequest
}

type NamespaceListResponse struct {
	Namespaces []*Namespace `json:"namespaces"`
	QueryMeta
}

type NamespaceSpecificRequest struct {
	Name string `json:"name"`
	QueryOptions
}

type NamespaceResponse struct {
	Namespace *Namespace `json:"namespace"`
	QueryMeta
}
