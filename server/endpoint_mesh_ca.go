package server

import (
	"fmt"
	"strings"
	"time"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// Access rules of the mesh CA. The roots are public (certificates only):
// any valid token, or a node's credential, reads them. SignLeaf proves a
// node's secret or an operator token inside the endpoint, after forward
// (rpcRule.nodeSecret says why). Rotating is operator write.
func init() {
	rpcRules[structs.MeshCARootsRPC] = anyTokenRule
	rpcRules[structs.MeshSignLeafRPC] = rpcRule{nodeSecret: true}
	rpcRules[structs.MeshRotateRootRPC] = operatorRule(acl.PolicyWrite)
}

// sidecarSuffix names a service's sidecar proxy: a node running "api"
// may get a leaf for "api-sidecar-proxy" as well.
const sidecarSuffix = "-sidecar-proxy"

// CARoots returns the trusted roots, public parts only, the active one
// first. A blocking query waits on the roots' index, so clients learn of a
// rotation at once.
func (m *Mesh) CARoots(args *structs.MeshCARootsRequest, reply *structs.MeshCARootsResponse) error {
	if done, err := m.srv.forward(structs.MeshCARootsRPC, args.AllowStale, args, reply); done {
		return err
	}
	return m.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		roots, err := st.MeshCARoots(ws)
		if err != nil {
			return 0, err
		}
		reply.Roots, reply.TrustDomain = trustedMeshRoots(roots, time.Now())
		if reply.TrustDomain == "" {
			reply.TrustDomain = m.srv.meshCAConfig().TrustDomain
		}
		return st.Index(state.TableMeshCARoots)
	})
}

// SignLeaf signs a CSR for one service. A client agent (NodeID and
// SecretID) gets leaves only for services of allocations running on its
// node; otherwise the token needs operator write.
//
// It runs on the leader, like writes, though it writes nothing and every
// server holds the key: the leader's state is the freshest, so an
// allocation just placed on the node is known and the leaf is signed by
// the root that is active now, not by one a rotation just retired (whose
// leaf the client would have to renew again at once). Signing is a single
// ECDSA signature per service every two days: no load worth spreading.
func (m *Mesh) SignLeaf(args *structs.MeshSignLeafRequest, reply *structs.MeshLeaf) error {
	if done, err := m.srv.forward(structs.MeshSignLeafRPC, false, args, reply); done {
		return err
	}
	ns := args.Namespace
	if ns == "" {
		ns = namespaceOf(args.WriteRequest.Namespace)
	}
	// Who asks first: an unauthenticated caller learns nothing, not even
	// what its request lacks.
	if err := m.authorizeSignLeaf(args, ns); err != nil {
		return err
	}
	if args.Service == "" {
		return fmt.Errorf("invalid: a service name is required")
	}
	leaf, err := m.srv.signMeshLeaf(ns, args.Service, args.CSRPEM, time.Now())
	if err != nil {
		return fmt.Errorf("sign leaf for service %q in namespace %q: %w", args.Service, ns, err)
	}
	*reply = *leaf
	return nil
}

// authorizeSignLeaf: the node's own allocations, or operator write. A
// node credential sent as the token (what client agents send with ACLs
// on) counts as the node.
func (m *Mesh) authorizeSignLeaf(args *structs.MeshSignLeafRequest, ns string) error {
	st := m.srv.State()
	if args.NodeID != "" {
		node, err := checkNodeSecret(st, args.NodeID, args.SecretID)
		if err != nil {
			return err
		}
		// checkNodeSecret lets nodes without a recorded secret through
		// (for their first registration); a leaf is only for a node that
		// proved its secret.
		if node == nil || node.SecretHash == "" {
			return permissionDenied("node %s has no registered secret: only a registered node gets mesh certificates", args.NodeID)
		}
		return nodeRunsService(st, node.ID, ns, args.Service)
	}
	a, token, err := m.srv.ResolveToken(args.AuthToken)
	if err != nil {
		return err
	}
	if token != nil && token.Type == structs.ACLTokenTypeNode {
		return nodeRunsService(st, token.AccessorID, ns, args.Service)
	}
	if err := a.CheckOperator(acl.PolicyWrite); err != nil {
		return fmt.Errorf("%w (a mesh leaf for any service needs operator write; client agents sign with their node secret)", err)
	}
	return nil
}

// nodeRunsService allows a leaf for a service (or its sidecar proxy) that
// a non-terminal allocation on the node declares, in the group it runs.
func nodeRunsService(st *state.StateStore, nodeID, ns, service string) error {
	allocs, err := st.AllocsByNode(nil, nodeID)
	if err != nil {
		return fmt.Errorf("look up allocations of node %s: %w", nodeID, err)
	}
	for _, al := range allocs {
		if al.Namespace != ns || al.TerminalStatus() {
			continue
		}
		job, err := st.JobByIDAndVersion(nil, al.Namespace, al.JobID, al.JobVersion)
		if err != nil {
			return fmt.Errorf("look up job %q of allocation %s: %w", al.JobID, al.ID, err)
		}
		if job != nil && groupDeclaresService(job.LookupGroup(al.TaskGroup), service) {
			return nil
		}
	}
	return permissionDenied("no running allocation on node %s declares service %q in namespace %q", structs.ShortID(nodeID), service, ns)
}

func groupDeclaresService(g *structs.TaskGroup, service string) bool {
	if g == nil {
		return false
	}
	base, _ := strings.CutSuffix(service, sidecarSuffix)
	match := func(svcs []*structs.Service) bool {
		for _, s := range svcs {
			if s != nil && (s.Name == service || s.Name == base) {
				return true
			}
		}
		return false
	}
	if match(g.Services) {
		return true
	}
	for _, t := range g.Tasks {
		if match(t.Services) {
			return true
		}
	}
	return false
}

// RotateRoot makes a new root active. The old one stays in the roots
// (trusted) until every leaf it signed has expired; clients watching the
// roots renew their leaves at once.
func (m *Mesh) RotateRoot(args *structs.MeshRotateRootRequest, reply *structs.MeshRotateRootResponse) error {
	if done, err := m.srv.forward(structs.MeshRotateRootRPC, false, args, reply); done {
		return err
	}
	out, err := m.srv.rotateMeshCARoot(time.Now())
	if err != nil {
		return err
	}
	*reply = *out
	return nil
}
