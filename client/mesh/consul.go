package mesh

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/appmesh/appmesh/mesh/intention"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/consul/api"
)

// Consul Connect as the mesh (agent config `consul { connect = true }`):
// for proxies of services whose provider is Consul, the leaf and roots
// come from the local Consul agent's CA, the intentions from Consul's, and
// the instances of upstreams from Consul's health API (connect-capable
// instances, i.e. their sidecar proxies). Traffic splits stay appmesh's.

// consulProbeService is a source no intention names: Consul's answer for
// it is what a caller without an exact intention gets (a wildcard
// intention into the service, or the default policy).
const consulProbeService = "_appmesh-default-probe"

// consulMetaJobVersion mirrors client/consul.MetaJobVersion (that package
// imports this one's callers; a constant avoids the cycle).
const consulMetaJobVersion = "appmesh_job_version"

// ConsulMesh reads the mesh's inputs from a Consul agent: it is a
// LeafSource and an InstanceSource, and Policy(service) its PolicySource.
type ConsulMesh struct {
	API *api.Client
	// SplitSource gives the traffic splits (the servers'); nil: none.
	SplitSource PolicySource
	// Wait bounds one blocking query (0: 5 minutes).
	Wait time.Duration

	mu sync.Mutex
	td string // Consul's trust domain, once read
	dc string // the local Consul agent's datacenter, once read
}

// InstanceSource gives the healthy instances of a destination's proxies,
// with their identities; blocking with waitIndex > 0.
type InstanceSource interface {
	MeshInstances(ctx context.Context, namespace, service string, waitIndex uint64) ([]*structs.MeshInstance, uint64, error)
}

var (
	_ LeafSource     = (*ConsulMesh)(nil)
	_ PolicySource   = consulPolicy{}
	_ InstanceSource = (*ConsulMesh)(nil)
)

func (c *ConsulMesh) wait() time.Duration {
	if c.Wait > 0 {
		return c.Wait
	}
	return MaxConfigWait
}

// Leaf implements LeafSource with the Consul agent's leaf of the service
// (the agent caches and renews it) and Consul's roots. The namespace is
// Consul's "default": Consul's open-source edition has no other.
func (c *ConsulMesh) Leaf(ctx context.Context, _, service string) (string, string, []string, uint64, error) {
	q := (&api.QueryOptions{}).WithContext(ctx)
	leaf, _, err := c.API.Agent().ConnectCALeaf(service, q)
	if err != nil {
		return "", "", nil, 0, fmt.Errorf("consul connect leaf of %q: %w", service, err)
	}
	roots, err := c.roots(ctx)
	if err != nil {
		return "", "", nil, 0, err
	}
	var pems []string
	for _, r := range roots.Roots {
		pems = append(pems, r.RootCertPEM)
	}
	return leaf.CertPEM, leaf.PrivateKeyPEM, pems, leaf.ModifyIndex, nil
}

// roots reads Consul's roots and keeps its trust domain.
func (c *ConsulMesh) roots(ctx context.Context) (*api.CARootList, error) {
	roots, _, err := c.API.Agent().ConnectCARoots((&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("consul connect roots: %w", err)
	}
	if len(roots.Roots) == 0 || roots.TrustDomain == "" {
		return nil, errors.New("consul connect roots: none yet (is Connect enabled in Consul?)")
	}
	c.mu.Lock()
	c.td = roots.TrustDomain
	c.mu.Unlock()
	return roots, nil
}

// trustDomain is Consul's trust domain, read once.
func (c *ConsulMesh) trustDomain(ctx context.Context) (string, error) {
	c.mu.Lock()
	td := c.td
	c.mu.Unlock()
	if td != "" {
		return td, nil
	}
	r, err := c.roots(ctx)
	if err != nil {
		return "", err
	}
	return r.TrustDomain, nil
}

// Intentions reads Consul's intentions into namespace (a blocking list),
// mapped to appmesh's (the bool is always true: see Policy). Consul's namespaces are appmesh's: an empty
// one is "default". An L7 intention (permissions instead of an action)
// is a deny, as Consul treats it for a TCP connection. Whether a caller
// no intention names may connect is asked of Consul (authorize with a
// probe source), so the default follows Consul's ACL default policy.
func (c *ConsulMesh) Intentions(ctx context.Context, namespace string, minIndex uint64) ([]*structs.Intention, bool, uint64, error) {
	q := (&api.QueryOptions{WaitIndex: minIndex, WaitTime: c.wait()}).WithContext(ctx)
	list, meta, err := c.API.Connect().Intentions(q)
	if err != nil {
		return nil, false, 0, fmt.Errorf("list consul intentions: %w", err)
	}
	out := make([]*structs.Intention, 0, len(list))
	for _, ci := range list {
		in := consulIntention(ci)
		if in.DestinationNamespace == namespace || in.DestinationNamespace == structs.MeshWildcard {
			out = append(out, in)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Precedence > out[j].Precedence })
	return out, true, meta.LastIndex, nil
}

func consulIntention(ci *api.Intention) *structs.Intention {
	ns := func(s string) string {
		if s == "" {
			return structs.DefaultNamespace
		}
		return s
	}
	action := string(ci.Action)
	if action == "" {
		action = structs.IntentionDeny
	}
	in := &structs.Intention{
		ID: ci.ID, SourceNamespace: ns(ci.SourceNS), SourceName: ci.SourceName,
		DestinationNamespace: ns(ci.DestinationNS), DestinationName: ci.DestinationName,
		Action: action, Description: ci.Description, CreateIndex: ci.CreateIndex, ModifyIndex: ci.ModifyIndex,
	}
	if in.ID == "" {
		in.ID = in.SourceNamespace + "/" + in.SourceName + "=>" + in.DestinationNamespace + "/" + in.DestinationName
	}
	in.Precedence = intention.Precedence(in)
	return in
}

// DefaultAllow asks Consul whether a caller no intention names may reach
// service: the authorize endpoint with a probe identity.
func (c *ConsulMesh) DefaultAllow(ctx context.Context, namespace, service string) (bool, error) {
	td, err := c.trustDomain(ctx)
	if err != nil {
		return false, err
	}
	dc, err := c.datacenter(ctx)
	if err != nil {
		return false, err
	}
	src := structs.ConsulSPIFFEID(td, namespace, dc, consulProbeService)
	res, err := c.API.Agent().ConnectAuthorize(&api.AgentAuthorizeParams{
		Target: service, ClientCertURI: src, ClientCertSerial: "00",
	})
	if err != nil {
		return false, fmt.Errorf("consul connect authorize (default policy of %q): %w", service, err)
	}
	return res.Authorized, nil
}

// datacenter is the local Consul agent's datacenter.
func (c *ConsulMesh) datacenter(ctx context.Context) (string, error) {
	c.mu.Lock()
	dc := c.dc
	c.mu.Unlock()
	if dc != "" {
		return dc, nil
	}
	self, err := c.API.Agent().Self()
	if err != nil {
		return "", fmt.Errorf("consul agent self: %w", err)
	}
	if cfg, ok := self["Config"]; ok {
		if dc, ok := cfg["Datacenter"].(string); ok && dc != "" {
			c.mu.Lock()
			c.dc = dc
			c.mu.Unlock()
			return dc, nil
		}
	}
	return "", errors.New("consul agent self: no datacenter")
}

// SplitsOf reads the servers' splits (the splits part of the policy).
func (c *ConsulMesh) SplitsOf(ctx context.Context, minIndex uint64) ([]*structs.MeshSplit, uint64, error) {
	if c.SplitSource == nil {
		<-ctx.Done()
		return nil, minIndex, ctx.Err()
	}
	return c.SplitSource.Splits(ctx, minIndex)
}

// MeshInstances implements InstanceSource: the passing connect-capable
// instances of service in Consul (its sidecar proxies, or native
// services), each with Consul's identity of service in its datacenter.
func (c *ConsulMesh) MeshInstances(ctx context.Context, namespace, service string, waitIndex uint64) ([]*structs.MeshInstance, uint64, error) {
	td, err := c.trustDomain(ctx)
	if err != nil {
		return nil, 0, err
	}
	q := (&api.QueryOptions{WaitIndex: waitIndex, WaitTime: c.wait()}).WithContext(ctx)
	entries, meta, err := c.API.Health().Connect(service, "", true, q)
	if err != nil {
		return nil, 0, fmt.Errorf("consul connect instances of %q: %w", service, err)
	}
	list := make([]*structs.MeshInstance, 0, len(entries))
	for _, e := range entries {
		if e.Service == nil || e.Node == nil {
			continue
		}
		addr := e.Service.Address
		if addr == "" {
			addr = e.Node.Address
		}
		dc := e.Node.Datacenter
		inst := &structs.MeshInstance{Address: addr, Port: e.Service.Port,
			Tags: append([]string(nil), e.Service.Tags...), SPIFFEID: structs.ConsulSPIFFEID(td, namespace, dc, service),
			AllocID: e.Service.Meta["appmesh_alloc_id"]}
		if v, err := strconv.ParseUint(e.Service.Meta[consulMetaJobVersion], 10, 64); err == nil {
			inst.JobVersion = v
		}
		list = append(list, inst)
	}
	return list, meta.LastIndex, nil
}

// Policy is the PolicySource of the proxies of one service: Consul's
// intentions, with Consul's answer for callers none names.
func (c *ConsulMesh) Policy(service string) PolicySource { return consulPolicy{c: c, service: service} }

type consulPolicy struct {
	c       *ConsulMesh
	service string
}

func (p consulPolicy) Intentions(ctx context.Context, ns string, minIndex uint64) ([]*structs.Intention, bool, uint64, error) {
	list, _, idx, err := p.c.Intentions(ctx, ns, minIndex)
	if err != nil {
		return nil, false, 0, err
	}
	def, err := p.c.DefaultAllow(ctx, ns, p.service)
	if err != nil {
		return nil, false, 0, err
	}
	return list, def, idx, nil
}

func (p consulPolicy) Splits(ctx context.Context, minIndex uint64) ([]*structs.MeshSplit, uint64, error) {
	return p.c.SplitsOf(ctx, minIndex)
}
