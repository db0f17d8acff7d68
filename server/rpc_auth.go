package server

import (
	"fmt"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/structs"
)

// tokenCarrier is implemented by every RPC argument through the embedded
// structs.QueryOptions or structs.WriteRequest.
type tokenCarrier interface {
	RequestToken() string
	RequestNamespace() string
}

// authorizeRPC is the one door of the RPC layer: both codecs (the
// in-process one in rpc.go, the network one through
// transport.ServeStreamChecked) call it after a call's arguments are
// decoded and before its endpoint runs, so a refused call writes nothing.
// It resolves the call's token and asks the method's rule. A method
// without a rule is refused, so an endpoint added later without one fails
// closed (and fails the door test, which walks every registered method).
func (s *Server) authorizeRPC(method string, args any) error {
	rule, ok := rpcRules[method]
	if !ok {
		return fmt.Errorf("Permission denied: RPC %s has no access rule", method)
	}
	if rule.open {
		return nil
	}
	tc, ok := args.(tokenCarrier)
	if !ok {
		return fmt.Errorf("Permission denied: RPC %s arguments carry no token", method)
	}
	if rule.nodeSecret {
		// The endpoint checks the node secret (node_identity.go): see
		// rpcRule.nodeSecret.
		return nil
	}
	a, token, err := s.ResolveToken(tc.RequestToken())
	if err != nil {
		return err
	}
	return rule.check(&authRequest{srv: s, acl: a, token: token, args: args, ns: tc.RequestNamespace()})
}

// authRequest is what a rule sees.
type authRequest struct {
	srv   *Server
	acl   *acl.ACL
	token *structs.ACLToken
	args  any
	ns    string
}

func (r *authRequest) namespace() string { return namespaceOf(r.ns) }

// listNamespace checks a list request: "*" lists what the token may see
// (the endpoint filters; an anonymous request needs an anonymous policy),
// a single namespace needs the capability there.
func (r *authRequest) listNamespace(capability string) error {
	if r.ns == structs.AllNamespacesSentinel {
		return anyTokenRule.check(r)
	}
	return r.acl.CheckNamespace(r.namespace(), capability)
}

// allocNamespace checks a capability in the namespace of an allocation.
// For an unknown allocation the request's own namespace decides, so that
// "not found" is only told to those who may read there.
func (r *authRequest) allocNamespace(allocID, capability string) error {
	alloc, err := r.srv.State().AllocByID(nil, allocID)
	if err != nil {
		return err
	}
	if alloc == nil {
		return r.acl.CheckNamespace(r.namespace(), capability)
	}
	return r.acl.CheckNamespace(alloc.Namespace, capability)
}

// rpcRule is the access rule of one RPC method: open (no check),
// nodeSecret (the node's own secret), or check (a token's ACL).
//
// A nodeSecret call is checked by its endpoint, after forward, not here:
// a forwarded call passes this door on the follower and again on the
// leader, and the follower's state may not have the node's registration
// yet, so a check here would prove nothing there; and the endpoints need
// the stored node anyway (a forwarded heartbeat would look the node up
// three times instead of once).
// TestRPCDoors calls every such method with a wrong secret for a real
// node, so an endpoint that forgets its check fails it.
type rpcRule struct {
	open       bool
	nodeSecret bool
	check      func(r *authRequest) error
	// least is what a token needs at the least to pass check
	// (acl_least.go).
	least leastGrant
}

func nsRule(capability string) rpcRule {
	return rpcRule{check: func(r *authRequest) error { return r.acl.CheckNamespace(r.namespace(), capability) },
		least: nsGrant(capability)}
}

func listRule(capability string) rpcRule {
	return rpcRule{check: func(r *authRequest) error { return r.listNamespace(capability) }, least: nsGrant(capability)}
}

func nodeRule(access string) rpcRule {
	return rpcRule{check: func(r *authRequest) error { return r.acl.CheckNode(access) },
		least: coarseGrant(structs.AuthorizeNode, access)}
}

func operatorRule(access string) rpcRule {
	return rpcRule{check: func(r *authRequest) error { return r.acl.CheckOperator(access) },
		least: coarseGrant(structs.AuthorizeOperator, access)}
}

func agentRule(access string) rpcRule {
	return rpcRule{check: func(r *authRequest) error { return r.acl.CheckAgent(access) },
		least: coarseGrant(structs.AuthorizeAgent, access)}
}

func managementRule(what string) rpcRule {
	return rpcRule{check: func(r *authRequest) error { return r.acl.CheckManagement(what) }, least: managementGrant}
}

// anyTokenRule needs a valid token, or an anonymous request when an
// operator wrote an anonymous policy: the endpoint itself limits the answer
// to what the token owns.
var anyTokenRule = rpcRule{check: func(r *authRequest) error {
	if r.token != nil || !r.srv.ACLEnabled() {
		return nil
	}
	p, err := r.srv.State().ACLPolicyByName(nil, structs.AnonymousPolicyName)
	if err != nil {
		return err
	}
	if p == nil {
		return fmt.Errorf("Permission denied: this request needs an ACL token (X-Appmesh-Token or Authorization: Bearer)")
	}
	return nil
}, least: anyTokenGrant}
