package server

import (
	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/structs"
)

// leastGrant is the least a token must hold to pass an RPC rule: one
// namespace capability in the request's namespace, one access of the node,
// agent or operator rule, any valid token, or a management token. The rule
// constructors (nsRule, nodeRule, ...) fill it in from the same argument as
// their check, and a hand-written check declares it beside itself.
// TestRPCDoorsLeastPrivilege gives a token exactly this grant and nothing
// more, and checks that the rule lets it through and that a token of
// another grant is refused, so a declaration that drifts from its check
// fails there.
type leastGrant struct {
	// kind is a structs.Authorize* kind: AuthorizeNamespace, AuthorizeNode,
	// AuthorizeAgent, AuthorizeOperator, AuthorizeToken or
	// AuthorizeManagement. "" means the rule cannot be stated as one grant
	// (the test lists those with why).
	kind string
	// capability for AuthorizeNamespace, access (read|write) for the
	// coarse rules.
	capability, access string
}

func nsGrant(capability string) leastGrant {
	return leastGrant{kind: structs.AuthorizeNamespace, capability: capability}
}

func coarseGrant(kind, access string) leastGrant { return leastGrant{kind: kind, access: access} }

var (
	managementGrant = leastGrant{kind: structs.AuthorizeManagement}
	anyTokenGrant   = leastGrant{kind: structs.AuthorizeToken}
)

// withLeast returns rule with its least grant declared: for the rules whose
// check is written by hand.
func withLeast(check func(*authRequest) error, least leastGrant) rpcRule {
	return rpcRule{check: check, least: least}
}

// Hand-written checks whose least grant is one namespace capability (the
// capability they need for a request that names no stored object, or an
// object in the request's namespace).
var (
	leastSubmitJob = nsGrant(acl.CapabilitySubmitJob)
	leastReadJob   = nsGrant(acl.CapabilityReadJob)
)
