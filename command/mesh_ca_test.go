package command

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/internal/testutil"
	"github.com/appmesh/appmesh/mesh/ca"
	"github.com/appmesh/appmesh/structs"
)

// TestMeshCAGetAndRotateOnRealAgent: get shows the leader's root, -pem is
// a bundle Go parses, rotate adds a new active root and keeps the old one.
func TestMeshCAGetAndRotateOnRealAgent(t *testing.T) {
	a, _ := startServerAgent(t, "meshca1", true, 1)
	useAgent(t, a)
	var roots structs.MeshCARootsResponse
	testutil.WaitFor(t, "the first mesh CA root", func() bool {
		code, out, _ := cmd("mesh", "ca", "get", "-json")
		return code == 0 && json.Unmarshal([]byte(out), &roots) == nil && len(roots.Roots) == 1
	})
	first := roots.Roots[0]
	code, out, stderr := cmd("mesh", "ca", "get")
	if code != 0 || !strings.Contains(out, "Trust domain: global.appmesh") || !strings.Contains(out, first.ID[:8]+" ") {
		t.Fatalf("mesh ca get: exit %d %q %s", code, out, stderr)
	}
	code, out, stderr = cmd("mesh", "ca", "get", "-pem")
	if code != 0 || strings.Contains(out, "PRIVATE") {
		t.Fatalf("mesh ca get -pem: exit %d %s", code, stderr)
	}
	if _, err := ca.PoolFromPEM([]string{out}); err != nil {
		t.Fatalf("the -pem output is no certificate: %v\n%s", err, out)
	}
	code, out, stderr = cmd("mesh", "ca", "rotate")
	if code != 0 || !strings.Contains(out, "New active root: ") || !strings.Contains(out, "Retired root "+first.ID[:8]+" stays trusted until ") {
		t.Fatalf("mesh ca rotate: exit %d %q %s", code, out, stderr)
	}
	code, out, _ = cmd("mesh", "ca", "get", "-json")
	roots = structs.MeshCARootsResponse{}
	if code != 0 || json.Unmarshal([]byte(out), &roots) != nil || len(roots.Roots) != 2 ||
		!roots.Roots[0].Active || roots.Roots[0].ID == first.ID || roots.Roots[1].ID != first.ID ||
		roots.Roots[0].TrustUntil != 0 || roots.Roots[1].TrustUntil <= first.NotBefore {
		t.Fatalf("roots after rotation: exit %d %s", code, out)
	}
	code, out, _ = cmd("mesh", "ca", "get")
	if code != 0 || !strings.Contains(out, "Trusted Until") || strings.Count(out, "  true  ") != 1 || strings.Count(out, "  false  ") != 1 {
		t.Fatalf("get after rotation: exit %d\n%s", code, out)
	}
	code, out, _ = cmd("mesh", "ca", "get", "-pem")
	if code != 0 || strings.Count(out, "BEGIN CERTIFICATE") != 2 {
		t.Fatalf("-pem after rotation: %s", out)
	}
	for _, args := range [][]string{{"mesh", "ca", "get", "extra"}, {"mesh", "ca", "rotate", "x"}, {"mesh", "ca", "get", "-bogus"}} {
		if code, _, _ := cmd(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
