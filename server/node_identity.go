package server

import (
	"crypto/subtle"
	"fmt"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// A client proves which node it is with the node secret it made when it
// first started (client/nodeid.go). The servers keep only its hash, on the
// node, recorded at the node's first registration: trust on first use, as
// node IDs are random and the first registration is the node's own. From
// then on a call made for the node with another secret, or none, is
// refused, so a connection cannot act as a node whose ID it learned.

// permissionDenied is how the node-identity checks refuse; the message
// starts the way every authorization refusal does.
func permissionDenied(format string, args ...any) error {
	return fmt.Errorf("Permission denied: "+format, args...)
}

// secretMatches tells whether secret is the node's.
func secretMatches(node *structs.Node, secret string) bool {
	return secret != "" && hashMatches(node.SecretHash, structs.HashSecret(secret))
}

// hashMatches compares two secret hashes in constant time. Only hashes are
// compared, so timing could at most reveal a prefix of a hash, which does
// not help to find a secret; constant time keeps even that from leaking.
func hashMatches(stored, hash string) bool {
	return stored != "" && subtle.ConstantTimeCompare([]byte(stored), []byte(hash)) == 1
}

// checkRegisterSecret decides whether a registration may set the node:
// a new node records the secret; a known one must prove it, unless it was
// registered before node secrets existed (no hash yet), in which case this
// registration records it.
func checkRegisterSecret(st *state.StateStore, nodeID, secret string) error {
	if secret == "" {
		return permissionDenied("node %s registered without a node secret: the client must send its secret", nodeID)
	}
	old, err := st.NodeByID(nil, nodeID)
	if err != nil {
		return fmt.Errorf("look up node %q: %w", nodeID, err)
	}
	if old == nil || old.SecretHash == "" {
		return nil
	}
	if !secretMatches(old, secret) {
		return permissionDenied("node secret does not match node %s", nodeID)
	}
	return nil
}

// checkNodeSecret guards the calls a client makes for its own node. It
// returns the node (nil when it is not registered, which the callers
// answer as they did before: a heartbeat of an unknown node asks the
// client to register again).
func checkNodeSecret(st *state.StateStore, nodeID, secret string) (*structs.Node, error) {
	if nodeID == "" {
		return nil, fmt.Errorf("invalid: node ID is required")
	}
	node, err := st.NodeByID(nil, nodeID)
	if err != nil {
		return nil, fmt.Errorf("look up node %q: %w", nodeID, err)
	}
	if node == nil || node.SecretHash == "" {
		// Unknown, or registered before node secrets: its next
		// registration records the hash.
		return node, nil
	}
	if secret == "" {
		return nil, permissionDenied("node %s: the call carries no node secret", nodeID)
	}
	if !secretMatches(node, secret) {
		return nil, permissionDenied("node secret does not match node %s", nodeID)
	}
	return node, nil
}

// checkAllocsOnNode refuses status updates for allocations placed on
// another node than the calling one. Allocations the state no longer has
// are let through: the state store skips them.
func checkAllocsOnNode(st *state.StateStore, nodeID string, updates []*structs.AllocStatusUpdate) error {
	for _, u := range updates {
		alloc, err := st.AllocByID(nil, u.ID)
		if err != nil {
			return fmt.Errorf("look up allocation %q: %w", u.ID, err)
		}
		if alloc != nil && alloc.NodeID != nodeID {
			return permissionDenied("allocation %s is not on node %s", u.ID, nodeID)
		}
	}
	return nil
}
