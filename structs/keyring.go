package structs

// Gossip keyring operations (appmesh operator gossip keyring).
const (
	KeyringList    = "list"
	KeyringInstall = "install"
	KeyringUse     = "use"
	KeyringRemove  = "remove"
)

// KeyringRPC changes or lists the gossip encryption keyring of every
// server.
const KeyringRPC = "Operator.GossipKeyring"

// KeyringRequest is one keyring operation. Key is the base64 key for
// install, use and remove.
type KeyringRequest struct {
	Op  string `json:"op"`
	Key string `json:"key,omitempty"`
	// LocalOnly applies the operation on the receiving server alone; the
	// server that took the operator's request sets it when it passes the
	// operation on to the others.
	LocalOnly bool `json:"local_only,omitempty"`
	WriteRequest
}

// KeyringServerResult is one server's answer.
type KeyringServerResult struct {
	Server string `json:"server"`
	// Keys are the server's keys (base64), the primary first.
	Keys  []string `json:"keys,omitempty"`
	Error string   `json:"error,omitempty"`
}

// KeyringResponse holds every server's answer; the operation failed
// where Error is set.
type KeyringResponse struct {
	Servers []*KeyringServerResult `json:"servers"`
}
