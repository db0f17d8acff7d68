package server

import (
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// TestRPCDoorsWithTokens completes TestRPCDoors with the two tokens it
// cannot have before a bootstrap: a valid token that may write only in
// another namespace, and the management token. The first must be refused
// by every method (the zero request names the default namespace) except
// those any valid token may call (anyTokenRule: the endpoint limits the
// answer to what the token owns), and must write nothing; the second must
// get past every door. Node-scoped methods are left out of the management
// pass: their proof is the node's secret, not a token (TestNodeIdentity_*).
func TestRPCDoorsWithTokens(t *testing.T) {
	s, victim, mgmt := doorServer(t)
	other := clientToken(t, s, mgmt.SecretID, "other-write", `namespace "other" { policy = "write" }`, time.Hour)

	methods := rpcMethods(s)
	names := make([]string, 0, len(methods))
	for n := range methods {
		names = append(names, n)
	}
	sort.Strings(names)
	anyToken := reflect.ValueOf(anyTokenRule.check).Pointer()
	call := func(name, token string) error {
		args := reflect.New(methods[name].Elem())
		if tc, ok := args.Interface().(interface{ SetRequestToken(string) }); ok {
			tc.SetRequestToken(token)
		}
		setBogusNodeSecret(args.Interface(), victim)
		return s.RPC(name, args.Interface(), reflect.New(replyType(s, name).Elem()).Interface())
	}
	tried, passed := 0, 0
	for _, name := range names {
		rule := rpcRules[name]
		if rule.open {
			continue
		}
		before, _ := s.State().LatestIndex()
		err := call(name, other)
		tried++
		denied := err != nil && strings.Contains(err.Error(), "Permission denied")
		if rule.check != nil && reflect.ValueOf(rule.check).Pointer() == anyToken {
			passed++
		} else if !denied {
			t.Errorf("%s with another namespace's token: err = %v, want Permission denied", name, err)
		}
		if after, _ := s.State().LatestIndex(); after != before {
			t.Errorf("%s with another namespace's token changed the state (index %d -> %d)", name, before, after)
		}
	}
	mgmtTried := 0
	for _, name := range names {
		if rule := rpcRules[name]; rule.open || rule.nodeSecret {
			continue
		}
		err := call(name, mgmt.SecretID)
		mgmtTried++
		if err != nil && strings.Contains(err.Error(), "Permission denied") {
			t.Errorf("%s with the management token: %v", name, err)
		}
	}
	t.Logf("other namespace's token: tried %d RPC methods, %d open to any valid token; management token: tried %d methods",
		tried, passed, mgmtTried)
}

// doorServer starts an ACL-enabled server with a registered node, which
// node-scoped calls are aimed at, and bootstraps it: the server, the node
// and the management token.
func doorServer(t *testing.T) (*Server, *structs.Node, *structs.ACLToken) {
	t.Helper()
	s := testServer(t, func(c *Config) { c.ACLEnabled = true })
	waitLeader(t, s)
	victim := testNode("victim", 1000, 1024)
	registerNode(t, s, victim)
	mgmt, err := bootstrap(t, s, 0)
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	return s, victim, mgmt
}
