package agent

import (
	"context"
	"time"

	"github.com/appmesh/appmesh/client"
	"github.com/appmesh/appmesh/structs"
)

// errNoClientMesh answers a proxy's config request on an agent without a
// client: the proxy asks the agent of its own node.
var errNoClientMesh = &httpError{code: 400, msg: "this agent runs no client: a sidecar proxy reads its config from the agent of its own node"}

// MeshProxyConfig reads a local sidecar proxy's config (blocking).
func (a *Agent) MeshProxyConfig(ctx context.Context, allocID, service string, minIndex uint64, wait time.Duration) (*structs.MeshProxyConfig, error) {
	if a.client == nil {
		return nil, errNoClientMesh
	}
	cfg, err := a.client.MeshProxyConfig(ctx, allocID, service, minIndex, wait)
	if err == client.ErrNoMesh {
		return nil, &httpError{code: 501, msg: err.Error()}
	}
	return cfg, err
}

// VerifyMeshProxyToken checks a proxy's workload identity.
func (a *Agent) VerifyMeshProxyToken(ctx context.Context, token, allocID, service string) error {
	if a.client == nil {
		return errNoClientMesh
	}
	return a.client.VerifyMeshProxyToken(ctx, token, allocID, service)
}

// MeshACLEnabled tells the proxies' door whether ACLs are on.
func (a *Agent) MeshACLEnabled() bool { return a.config.ACL != nil && a.config.ACL.Enabled }

var _ MeshProxyBackend = (*Agent)(nil)
