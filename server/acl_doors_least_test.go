package server

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/structs"
)

// leastUnexpressible lists the RPC rules that cannot be stated as one
// grant, each with why; every other rule that is not open or node-scoped
// must declare its least grant (rpcRule.least).
var leastUnexpressible = map[string]string{
	"Node.ClientCall": "the capability depends on the relayed operation (clientOpCapability: signal, restart, exec, stats); " +
		"TestHTTPDoorsLeastPrivilege tries each operation's HTTP door with its one capability",
}

// ownObject names, for the methods open to any valid token that answer
// only about the token's own objects, the field that must name one of the
// token's own, so that the least-privilege call asks for something the
// token owns (asking for another's is the endpoint's refusal, not the
// door's; TestHTTPDoors has another token read one it does not own).
var ownObject = map[string]string{structs.ACLGetPolicyRPC: "Name"}

// TestRPCDoorsLeastPrivilege completes TestRPCDoors and
// TestRPCDoorsWithTokens with the token they lack: one that holds exactly
// the grant a method's rule declares (rpcRule.least) and nothing more, in
// the namespace the request uses (a zero request names the default one).
// Each method must let it past its door (the call may still fail for what
// it asks, e.g. a missing job, but not with "Permission denied"), and must
// refuse, writing nothing, a token without rights and a token holding
// another grant that does not cover its own. So a rule that needs more
// than it declares, or lets in a grant it does not name, fails here.
func TestRPCDoorsLeastPrivilege(t *testing.T) {
	s, victim, mgmt := doorServer(t)
	methods := rpcMethods(s)
	names := make([]string, 0, len(methods))
	for n := range methods {
		names = append(names, n)
	}
	sort.Strings(names)
	tokens := map[leastGrant]string{}
	tokenFor := func(g leastGrant) string {
		if tokens[g] == "" {
			tokens[g] = clientToken(t, s, mgmt.SecretID, grantPolicyName(g), grantPolicy(g), time.Hour)
		}
		return tokens[g]
	}
	call := func(name, token string) error {
		args := reflect.New(methods[name].Elem())
		if tc, ok := args.Interface().(interface{ SetRequestToken(string) }); ok {
			tc.SetRequestToken(token)
		}
		setBogusNodeSecret(args.Interface(), victim)
		if field := ownObject[name]; field != "" {
			args.Elem().FieldByName(field).SetString(grantPolicyName(rpcRules[name].least))
		}
		return s.RPC(name, args.Interface(), reflect.New(replyType(s, name).Elem()).Interface())
	}
	var tried, passed, mgmtOnly, skipped int
	var toRefuse []string
	for _, name := range names {
		rule := rpcRules[name]
		switch reason, listed := leastUnexpressible[name]; {
		case rule.open || rule.nodeSecret: // TestRPCDoors, TestNodeIdentity_*
			skipped++
			continue
		case listed:
			t.Logf("%s: no single grant: %s", name, reason)
			skipped++
			continue
		case rule.least.kind == "":
			t.Errorf("RPC %s declares no least grant: give its rule one (acl_least.go) or list it in leastUnexpressible with why", name)
			continue
		case rule.least.kind == structs.AuthorizeManagement:
			mgmtOnly++ // TestRPCDoorsWithTokens: only the management token passes
			continue
		}
		err := call(name, tokenFor(rule.least))
		tried++
		if acl.IsPermissionDenied(err) {
			t.Errorf("%s with a token granting only %s: %v; want past the door (the rule must need no more than it declares)",
				name, rule.least, err)
		} else {
			passed++
		}
		if rule.least.kind != structs.AuthorizeToken {
			toRefuse = append(toRefuse, name)
		}
	}
	refused := refuseOtherGrants(t, s, toRefuse, tokenFor, call)
	t.Logf("least-privilege token: tried %d RPC methods (%d past the door), %d management-only, %d open/node-secret/listed; "+
		"%d refusals of a rightless or another grant's token", tried, passed, mgmtOnly, skipped, refused)
}

// refuseOtherGrants tries each method with a token without rights and with
// the token of one other grant that does not cover the method's (a
// different one for each method, in turn): both must be refused and write
// nothing. It returns how many calls it made.
func refuseOtherGrants(t *testing.T, s *Server, names []string, tokenFor func(leastGrant) string, call func(name, token string) error) int {
	t.Helper()
	var grants []leastGrant
	seen := map[leastGrant]bool{}
	for _, name := range names {
		if g := rpcRules[name].least; !seen[g] {
			seen[g] = true
			grants = append(grants, g)
		}
	}
	sort.Slice(grants, func(i, j int) bool { return grants[i].String() < grants[j].String() })
	tried := 0
	for i, name := range names {
		need := rpcRules[name].least
		others := []leastGrant{anyTokenGrant}
		for k := range grants {
			if g := grants[(i+k)%len(grants)]; !g.covers(need) {
				others = append(others, g)
				break
			}
		}
		for _, other := range others {
			before, _ := s.State().LatestIndex()
			err := call(name, tokenFor(other))
			tried++
			if !acl.IsPermissionDenied(err) {
				t.Errorf("%s (needs %s) with a token granting only %s: err = %v, want Permission denied", name, need, other, err)
			}
			if after, _ := s.State().LatestIndex(); after != before {
				t.Errorf("%s with a token granting only %s was refused but the state changed", name, other)
			}
		}
	}
	return tried
}

// grantPolicy is the policy that grants g and nothing more. The "token"
// grant is a valid token without rights.
func grantPolicy(g leastGrant) string {
	switch g.kind {
	case structs.AuthorizeNamespace:
		return fmt.Sprintf("namespace %q {\n  capabilities = [%q]\n}\n", structs.DefaultNamespace, g.capability)
	case structs.AuthorizeNode, structs.AuthorizeAgent, structs.AuthorizeOperator:
		return fmt.Sprintf("%s {\n  policy = %q\n}\n", g.kind, g.access)
	}
	return fmt.Sprintf("namespace %q {\n  policy = \"deny\"\n}\n", structs.DefaultNamespace)
}

func grantPolicyName(g leastGrant) string {
	return "least-" + g.kind + "-" + g.capability + g.access
}

// String names a grant in messages: "read-job in namespace", "node read".
func (g leastGrant) String() string {
	switch g.kind {
	case structs.AuthorizeNamespace:
		return g.capability + " in its namespace"
	case structs.AuthorizeToken:
		return "no rights (any valid token)"
	}
	return g.kind + " " + g.access
}

// covers reports whether a token holding g passes a rule whose least grant
// is need: the same capability, or a coarse write for a read. Capabilities
// are flat (acl/policy.go): none implies another.
func (g leastGrant) covers(need leastGrant) bool {
	switch {
	case g.kind == structs.AuthorizeManagement || need.kind == structs.AuthorizeToken:
		return true
	case g.kind != need.kind:
		return false
	case g.kind == structs.AuthorizeNamespace:
		return g.capability == need.capability
	}
	return g.access == need.access || g.access == acl.PolicyWrite
}
