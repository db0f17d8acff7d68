package mesh

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/golang-jwt/jwt/v5"
)

// WorkloadTokens verifies the workload identity JWT a sidecar proxy sends
// (its task's secrets/appmesh_token, signed by the servers at
// Node.SignIdentities) against the cluster's public keys (ACL.PublicKeys),
// which it caches and reads again when a token names a key it does not
// know.
type WorkloadTokens struct {
	RPC PolicyRPCFunc

	mu      sync.Mutex
	keys    map[string]ed25519.PublicKey
	fetched time.Time
}

// proxyKeyRefreshGap bounds how often an unknown key makes the keys be read again,
// so that made-up key IDs cannot flood the servers.
const proxyKeyRefreshGap = 5 * time.Second

// proxyTokenClaims are the claims of a workload identity (server/identity_sign.go).
type proxyTokenClaims struct {
	jwt.RegisteredClaims
	Namespace    string `json:"appmesh_namespace"`
	JobID        string `json:"appmesh_job_id"`
	AllocationID string `json:"appmesh_allocation_id"`
	Task         string `json:"appmesh_task"`
}

// ErrBadToken is a token that is not a valid identity of the task asked.
var ErrBadToken = errors.New("not a workload identity of this allocation's proxy")

// Verify checks that token is a valid workload identity of task in
// allocID. The token's text is never in the error.
func (v *WorkloadTokens) Verify(ctx context.Context, token, allocID, task string) error {
	var claims proxyTokenClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		return v.key(ctx, kid)
	}, jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithIssuer("appmesh"))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadToken, err)
	}
	if claims.AllocationID != allocID || claims.Task != task {
		return fmt.Errorf("%w: the token is task %q of allocation %s", ErrBadToken, claims.Task, structs.ShortID(claims.AllocationID))
	}
	return nil
}

func (v *WorkloadTokens) key(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if k, ok := v.keys[kid]; ok {
		return k, nil
	}
	if time.Since(v.fetched) < proxyKeyRefreshGap {
		return nil, fmt.Errorf("unknown signing key %q", kid)
	}
	v.fetched = time.Now()
	var out structs.ACLPublicKeysResponse
	if err := v.RPC(ctx, structs.ACLPublicKeysRPC, &structs.GenericRequest{}, &out); err != nil {
		return nil, fmt.Errorf("read the cluster's public keys: %w", err)
	}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range out.JWKS.Keys {
		raw, err := base64.RawURLEncoding.DecodeString(k.X)
		if k.KeyType != "OKP" || k.Curve != "Ed25519" || err != nil || len(raw) != ed25519.PublicKeySize {
			continue
		}
		keys[k.KeyID] = ed25519.PublicKey(raw)
	}
	v.keys = keys
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown signing key %q", kid)
}
