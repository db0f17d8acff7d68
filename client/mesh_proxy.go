package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/appmesh/appmesh/client/catalog"
	"github.com/appmesh/appmesh/client/mesh"
	"github.com/appmesh/appmesh/structs"
)

// The client agent's side of the sidecar proxies: it answers
// structs.MeshProxyConfigPath (command/agent) from a mesh.ConfigBuilder
// over this node's allocations, the built-in catalog and the servers.

// ErrNoMesh: the agent has no mesh CA to give proxies their certificates.
var ErrNoMesh = errors.New("this agent serves no sidecar proxy configs: the mesh CA is not available on it")

// meshBuilder returns the config builder, made on first use.
func (c *Client) meshBuilder() (*mesh.ConfigBuilder, error) {
	c.meshMu.Lock()
	defer c.meshMu.Unlock()
	if c.mesh != nil {
		return c.mesh, nil
	}
	if c.meshClosed {
		return nil, errors.New("client is shutting down")
	}
	leaves := c.cfg.MeshLeaves
	if leaves == nil {
		// The node's own leaf manager: it signs CSRs for the services of
		// this node's allocations with the node's credential.
		lm, err := mesh.NewLeafManager(mesh.LeafConfig{RPC: c.rpc, NodeID: c.nodeID, SecretID: c.secretID, Logger: c.logger.Named("mesh_leaves")})
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoMesh, err)
		}
		c.meshLeaves, leaves = lm, mesh.ManagerSource{M: lm}
	}
	addr := c.cfg.ServiceAddress
	if addr == "" {
		addr = "127.0.0.1"
	}
	policy := &mesh.RPCPolicy{RPC: c.rpc}
	if cm := c.cfg.MeshConsul; cm != nil && cm.SplitSource == nil {
		cm.SplitSource = policy // traffic splits stay the servers'
	}
	b, err := mesh.NewConfigBuilder(mesh.BuilderOptions{
		Leaves: leaves, Policy: policy, Catalog: catalog.NewRouter(nil, c.catalog),
		Allocs: c, NodeAddr: addr, TrustDomain: c.cfg.MeshTrustDomain, Logger: c.logger,
		Consul: c.cfg.MeshConsul,
	})
	if err != nil {
		return nil, err
	}
	c.mesh = b
	return b, nil
}

// stopMesh stops the builder's watches (Shutdown).
func (c *Client) stopMesh() {
	c.meshMu.Lock()
	b := c.mesh
	lm := c.meshLeaves
	c.mesh, c.meshLeaves, c.meshClosed = nil, nil, true
	c.meshMu.Unlock()
	if b != nil {
		b.Shutdown()
	}
	if lm != nil {
		lm.Stop()
	}
}

// MeshAllocGroup implements mesh.AllocSource: a live allocation of this
// node and its group at the job version it runs.
func (c *Client) MeshAllocGroup(allocID string) (*structs.Allocation, *structs.TaskGroup, bool) {
	ar := c.runner(allocID)
	if ar == nil {
		return nil, nil, false
	}
	a := ar.Alloc()
	if a.TerminalStatus() || a.ClientStatus == structs.AllocClientComplete || a.ClientStatus == structs.AllocClientFailed {
		return nil, nil, false
	}
	g := ar.Job().LookupGroup(a.TaskGroup)
	return a, g, g != nil
}

// MeshProxyConfig is the blocking read of one proxy's config.
func (c *Client) MeshProxyConfig(ctx context.Context, allocID, service string, minIndex uint64, wait time.Duration) (*structs.MeshProxyConfig, error) {
	b, err := c.meshBuilder()
	if err != nil {
		return nil, err
	}
	cfg, err := b.Get(ctx, allocID, service, minIndex, wait)
	if errors.Is(err, mesh.ErrNotConnect) {
		return nil, fmt.Errorf("%w: %w", err, structs.ErrNotFound)
	}
	return cfg, err
}

// VerifyMeshProxyToken checks that token is the workload identity of the
// sidecar proxy task of service in allocID, on this node.
func (c *Client) VerifyMeshProxyToken(ctx context.Context, token, allocID, service string) error {
	_, g, ok := c.MeshAllocGroup(allocID)
	if !ok {
		return fmt.Errorf("allocation %q is not running on this node: %w", allocID, mesh.ErrBadToken)
	}
	task := g.MeshProxyTaskName(service)
	if task == "" {
		return fmt.Errorf("service %q of allocation %s has no proxy: %w", service, structs.ShortID(allocID), mesh.ErrBadToken)
	}
	c.meshMu.Lock()
	if c.meshTokens == nil {
		c.meshTokens = &mesh.WorkloadTokens{RPC: c.rpc}
	}
	v := c.meshTokens
	c.meshMu.Unlock()
	return v.Verify(ctx, token, allocID, task)
}
