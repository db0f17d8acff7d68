package command

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func TestSystemGCAndNodePurgeOnRealAgent(t *testing.T) {
	a, _ := startServerAgent(t, "gc1", true, 1)
	useAgent(t, a)
	node := &structs.Node{ID: structs.GenerateID(), Name: "old-box", Datacenter: "dc1",
		Resources: &structs.NodeResources{CPU: 1000, MemoryMB: 1024}}
	var reg structs.NodeUpdateResponse
	if err := a.Server().RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: node, SecretID: "s"}, &reg); err != nil {
		t.Fatal(err)
	}

	code, out, stderr := cmd("system", "gc")
	if code != 0 || !strings.Contains(out, "Garbage collected: 0 job(s), 0 evaluation(s), 0 allocation(s), 0 node(s), 0 ACL token(s)") {
		t.Fatalf("system gc: exit %d %q %s", code, out, stderr)
	}
	code, out, stderr = cmd("system", "gc", "-json")
	var gc structs.SystemGCResponse
	if code != 0 || json.Unmarshal([]byte(out), &gc) != nil || gc.Index == 0 {
		t.Fatalf("system gc -json: exit %d %q %s", code, out, stderr)
	}

	code, out, stderr = cmd("node", "purge", "old-box")
	if code != 0 || !strings.Contains(out, "Node old-box ("+node.ID+") purged") {
		t.Fatalf("node purge: exit %d %q %s", code, out, stderr)
	}
	if n, _ := a.Server().State().NodeByID(nil, node.ID); n != nil {
		t.Fatal("the purged node is still in the state")
	}
	code, _, stderr = cmd("node", "purge", "old-box")
	if code != 1 || !strings.Contains(stderr, "old-box") {
		t.Fatalf("purging an unknown node: exit %d: %s", code, stderr)
	}
}

func TestSystemGCAndNodePurgeUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{{"system", "gc", "extra"}, {"node", "purge"}, {"node", "purge", "a", "b"}, {"system", "gc", "-bogus"}} {
		if code, _, _ := cmd(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
