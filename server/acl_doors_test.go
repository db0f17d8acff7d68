package server

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// rpcMethods lists every method net/rpc serves: exported, two pointer
// arguments, returning error.
func rpcMethods(s *Server) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	errType := reflect.TypeOf((*error)(nil)).Elem()
	for name, e := range s.endpoints() {
		t := reflect.TypeOf(e)
		for i := 0; i < t.NumMethod(); i++ {
			m := t.Method(i)
			if m.Type.NumIn() != 3 || m.Type.NumOut() != 1 || m.Type.Out(0) != errType ||
				m.Type.In(2).Kind() != reflect.Pointer {
				continue
			}
			out[name+"."+m.Name] = m.Type.In(1)
		}
	}
	return out
}

// TestRPCDoors calls every registered RPC method with zero arguments and no
// token, and with an unknown token, on a server with ACLs on: each must be
// refused with "Permission denied" (or be one of the few open or
// node-authenticated methods, each named here with why), and nothing may
// be written. A method added without a rule in rpcRules fails here.
func TestRPCDoors(t *testing.T) {
	s := testServer(t, func(c *Config) { c.ACLEnabled = true })
	waitLeader(t, s)
	// A real node: node-scoped calls name it with a wrong secret.
	victim := testNode("victim", 1000, 1024)
	registerNode(t, s, victim)
	// Open on purpose (acl_rules.go says why); node calls check the secret
	// inside the endpoint and are tried with a bogus one.
	open := map[string]bool{"Status.Leader": true, "Status.Peers": true, "Status.Members": true, "ACL.Bootstrap": true,
		"ACL.Login": true, "ACL.LoginRefresh": true, "ACL.PublicKeys": true}
	methods := rpcMethods(s)
	names := make([]string, 0, len(methods))
	for n := range methods {
		names = append(names, n)
	}
	sort.Strings(names)
	tried := 0
	for _, name := range names {
		if _, ok := rpcRules[name]; !ok {
			t.Errorf("RPC %s has no access rule in rpcRules", name)
		}
		if open[name] {
			continue
		}
		for _, token := range []string{"", structs.GenerateID(), structs.NodeCredential(structs.GenerateID(), "bogus")} {
			args := reflect.New(methods[name].Elem())
			if tc, ok := args.Interface().(interface{ SetRequestToken(string) }); ok {
				tc.SetRequestToken(token)
			}
			setBogusNodeSecret(args.Interface(), victim)
			before, _ := s.State().LatestIndex()
			reply := reflect.New(replyType(s, name).Elem())
			err := s.RPC(name, args.Interface(), reply.Interface())
			tried++
			if err == nil || !strings.Contains(err.Error(), "Permission denied") {
				t.Errorf("%s with token %q: err = %v, want Permission denied", name, short(token), err)
			}
			if after, _ := s.State().LatestIndex(); after != before {
				t.Errorf("%s was refused but the state changed", name)
			}
		}
	}
	t.Logf("tried %d calls on %d RPC methods (%d open)", tried, len(names), len(open))
	// And the other way round: no rule for a method that does not exist.
	for name := range rpcRules {
		if _, ok := methods[name]; !ok {
			t.Errorf("rpcRules has a rule for %s, which is not a registered method", name)
		}
	}
}

// setBogusNodeSecret gives node-scoped calls a node ID and a wrong secret
// for an existing-looking node, so that they reach their secret check.
func setBogusNodeSecret(args any, victim *structs.Node) {
	v := reflect.ValueOf(args).Elem()
	if f := v.FieldByName("SecretID"); f.IsValid() && f.Kind() == reflect.String {
		f.SetString("bogus")
	}
	if f := v.FieldByName("NodeID"); f.IsValid() && f.Kind() == reflect.String {
		f.SetString(victim.ID)
	}
	if f := v.FieldByName("Node"); f.IsValid() && f.Kind() == reflect.Pointer {
		n := *victim
		f.Set(reflect.ValueOf(&n))
	}
	if f := v.FieldByName("Allocs"); f.IsValid() && f.Kind() == reflect.Slice {
		f.Set(reflect.ValueOf([]*structs.AllocStatusUpdate{{ID: "x", ClientStatus: structs.AllocClientRunning}}))
	}
}

func replyType(s *Server, name string) reflect.Type {
	svc, method, _ := strings.Cut(name, ".")
	m, _ := reflect.TypeOf(s.endpoints()[svc]).MethodByName(method)
	return m.Type.In(2)
}

func short(tok string) string {
	if len(tok) > 12 {
		return tok[:12] + "..."
	}
	return tok
}
