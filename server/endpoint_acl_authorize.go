package server

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
)

// Authorize answers whether the request's token may do one thing. Agents
// ask it for the doors that are not RPCs (log and exec streams, stdin,
// snapshots, agent routes), so that those use the same decision as every
// RPC. A refusal is a "Permission denied" error; for an allocation the
// answer names its namespace and node.
func (a *ACL) Authorize(args *structs.ACLAuthorizeRequest, reply *structs.ACLAuthorizeResponse) error {
	s := a.srv
	// Answered from this server's state, never forwarded: the question must
	// not wait for a leader (an agent joining servers asks it before one
	// exists), and token lookups already wait for replication.
	if !s.ACLEnabled() {
		return nil
	}
	pol, _, err := s.ResolveToken(args.AuthToken)
	if err != nil {
		return err
	}
	switch args.Kind {
	case structs.AuthorizeNamespace:
		return pol.CheckNamespace(namespaceOf(args.Namespace), args.Capability)
	case structs.AuthorizeAlloc:
		alloc, err := s.State().AllocByID(nil, args.AllocID)
		if err != nil {
			return err
		}
		if alloc == nil {
			return fmt.Errorf("allocation %q: %w", args.AllocID, structs.ErrNotFound)
		}
		reply.Namespace, reply.NodeID = alloc.Namespace, alloc.NodeID
		return pol.CheckNamespace(alloc.Namespace, args.Capability)
	case structs.AuthorizeNode:
		return pol.CheckNode(args.Access)
	case structs.AuthorizeAgent:
		return pol.CheckAgent(args.Access)
	case structs.AuthorizeOperator:
		return pol.CheckOperator(args.Access)
	case structs.AuthorizeToken:
		return nil
	case structs.AuthorizeManagement:
		return pol.CheckManagement(args.Capability)
	}
	return fmt.Errorf("invalid: unknown authorization kind %q", args.Kind)
}
