package server

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/mesh/ca"
	"github.com/appmesh/appmesh/structs"
)

func meshRoots(t *testing.T, s *Server, token string, minIndex uint64) *structs.MeshCARootsResponse {
	t.Helper()
	req := &structs.MeshCARootsRequest{}
	req.AuthToken, req.MinQueryIndex, req.MaxQueryTime = token, minIndex, 20*time.Second
	var out structs.MeshCARootsResponse
	if err := s.RPC(structs.MeshCARootsRPC, req, &out); err != nil {
		t.Fatalf("mesh CA roots: %v", err)
	}
	return &out
}

// waitMeshRoot waits for the leader's first root and returns the roots.
func waitMeshRoot(t *testing.T, s *Server, token string) *structs.MeshCARootsResponse {
	t.Helper()
	var out *structs.MeshCARootsResponse
	waitFor(t, "the leader's first mesh CA root", func() bool {
		out = meshRoots(t, s, token, 0)
		return len(out.Roots) > 0
	})
	return out
}

// signLeaf asks for a leaf; nodeID empty signs with the token alone.
func signLeaf(s *Server, nodeID, secret, token, svc string) (*structs.MeshLeaf, string, error) {
	keyPEM, csrPEM, err := ca.NewKeyAndCSR(svc)
	if err != nil {
		return nil, "", err
	}
	req := &structs.MeshSignLeafRequest{Namespace: "default", Service: svc, CSRPEM: csrPEM, NodeID: nodeID, SecretID: secret}
	req.AuthToken = token
	var leaf structs.MeshLeaf
	err = s.RPC(structs.MeshSignLeafRPC, req, &leaf)
	return &leaf, keyPEM, err
}

// verifyLeaf checks a leaf against roots (PEM) as a proxy would.
func verifyLeaf(t *testing.T, leaf *structs.MeshLeaf, roots []*structs.MeshCARoot) (string, error) {
	t.Helper()
	var pems []string
	for _, r := range roots {
		pems = append(pems, r.CertPEM)
	}
	pool, err := ca.PoolFromPEM(pems)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ca.ParseCertPEM(leaf.CertPEM)
	if err != nil {
		t.Fatal(err)
	}
	return ca.VerifyPeer([][]byte{c.Raw}, pool)
}

func activeRoot(roots []*structs.MeshCARoot) *structs.MeshCARoot {
	for _, r := range roots {
		if r.Active {
			return r
		}
	}
	return nil
}

// TestMeshCA_RootOnLeadership: the leader creates one root; reading it
// gives the public part only; a blocking read returns on a rotation.
func TestMeshCA_RootOnLeadership(t *testing.T) {
	s := testServer(t, func(c *Config) { c.MeshCA.TrustDomain = "test.appmesh" })
	out := waitMeshRoot(t, s, "")
	if len(out.Roots) != 1 || !out.Roots[0].Active || out.TrustDomain != "test.appmesh" {
		t.Fatalf("roots %+v, trust domain %q", out.Roots, out.TrustDomain)
	}
	raw, _ := json.Marshal(out)
	if strings.Contains(string(raw), "PRIVATE KEY") {
		t.Fatal("the roots answer carries a private key")
	}
	c, err := ca.ParseCertPEM(out.Roots[0].CertPEM)
	if err != nil || ca.CertID(c.Raw) != out.Roots[0].ID {
		t.Fatalf("root certificate %v, ID %q", err, out.Roots[0].ID)
	}
	// Leadership duties run again (as after a re-election): no second root.
	if err := s.ensureMeshCARoot(time.Now()); err != nil {
		t.Fatal(err)
	}
	if again := meshRoots(t, s, "", 0); len(again.Roots) != 1 || again.Index != out.Index {
		t.Fatalf("a second ensure wrote: %d roots, index %d -> %d", len(again.Roots), out.Index, again.Index)
	}
	// A blocking read wakes on a rotation.
	done := make(chan *structs.MeshCARootsResponse, 1)
	go func() {
		req := &structs.MeshCARootsRequest{}
		req.MinQueryIndex, req.MaxQueryTime = out.Index, 30*time.Second
		var r structs.MeshCARootsResponse
		if err := s.RPC(structs.MeshCARootsRPC, req, &r); err != nil {
			t.Error(err)
		}
		done <- &r
	}()
	var rot structs.MeshRotateRootResponse
	if err := s.RPC(structs.MeshRotateRootRPC, &structs.MeshRotateRootRequest{}, &rot); err != nil {
		t.Fatal(err)
	}
	got := <-done
	if got.Index <= out.Index || len(got.Roots) != 2 || got.Roots[0].ID != rot.Root.ID || !got.Roots[0].Active {
		t.Fatalf("blocking read after rotation: index %d (was %d), roots %+v", got.Index, out.Index, got.Roots)
	}
	// The FSM refuses an entry that would leave two active roots.
	extra, err := s.newMeshCARoot(time.Now(), "test.appmesh")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.raftApply(meshCAType, &structs.MeshCARootsEntry{Upserts: []*structs.MeshCARootRecord{extra}}); err == nil {
		t.Fatal("a second active root was written")
	}
}

// caFixture: a server with ACLs on, two nodes, and a job whose group
// declares service "api", placed on one of them.
type caFixture struct {
	s           *Server
	mgmt        string
	runs, other *structs.Node
}

func newCAFixture(t *testing.T, mut func(*Config)) *caFixture {
	s := testServer(t, func(c *Config) {
		c.ACLEnabled = true
		if mut != nil {
			mut(c)
		}
	})
	tok, err := bootstrap(t, s, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := &caFixture{s: s, mgmt: tok.SecretID}
	n1, n2 := testNode("n1", 1000, 1024), testNode("n2", 1000, 1024)
	registerNode(t, s, n1)
	registerNode(t, s, n2)
	job := testJob("api", 1, 128)
	job.Groups[0].Services = []*structs.Service{{Name: "api", Provider: structs.ServiceProviderAppmesh}}
	req := &structs.JobRegisterRequest{Job: job}
	req.AuthToken = f.mgmt
	if err := s.RPC(structs.JobRegisterRPC, req, &structs.JobRegisterResponse{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the allocation placed", func() bool {
		q := &structs.JobSpecificRequest{JobID: "api"}
		q.AuthToken = f.mgmt
		var reply structs.JobAllocationsResponse
		if err := s.RPC(structs.JobAllocationsRPC, q, &reply); err != nil {
			t.Fatal(err)
		}
		if liveAllocs(reply.Allocations) != 1 {
			return false
		}
		f.runs, f.other = n1, n2
		if reply.Allocations[0].NodeID == n2.ID {
			f.runs, f.other = n2, n1
		}
		return true
	})
	waitMeshRoot(t, s, f.mgmt)
	return f
}

// TestMeshCA_SignLeafAuthorization: a node gets leaves for the services
// (and their sidecars) of its own allocations only; an operator token for
// any; no credential, a wrong secret or a read-only token for none.
func TestMeshCA_SignLeafAuthorization(t *testing.T) {
	f := newCAFixture(t, nil)
	runs, other := f.runs.ID, f.other.ID
	roots := meshRoots(t, f.s, f.mgmt, 0).Roots

	for _, svc := range []string{"api", "api-sidecar-proxy"} {
		leaf, _, err := signLeaf(f.s, runs, testSecret(runs), "", svc)
		if err != nil {
			t.Fatalf("own node, %s: %v", svc, err)
		}
		want := structs.MeshSPIFFEID(structs.MeshTrustDomain(""), "default", svc)
		if id, err := verifyLeaf(t, leaf, roots); err != nil || id != want || leaf.SPIFFEID != want {
			t.Fatalf("leaf of %s: id %q (%q), %v; want %q", svc, id, leaf.SPIFFEID, err, want)
		}
		if leaf.RootID != roots[0].ID {
			t.Fatalf("leaf signed by %s, active root is %s", leaf.RootID, roots[0].ID)
		}
		if ttl := time.Duration(leaf.ValidBefore-leaf.ValidAfter) * time.Second; ttl < 72*time.Hour {
			t.Fatalf("leaf lifetime %v, want 72h (+ backdating)", ttl)
		}
	}
	// The node credential as the token (what client agents send with ACLs
	// on) counts as the node.
	if _, _, err := signLeaf(f.s, "", "", structs.NodeCredential(runs, testSecret(runs)), "api"); err != nil {
		t.Fatalf("own node by credential token: %v", err)
	}
	denied := map[string]func() error{
		"own node, service it does not run": func() error { _, _, err := signLeaf(f.s, runs, testSecret(runs), "", "db"); return err },
		"other node":                        func() error { _, _, err := signLeaf(f.s, other, testSecret(other), "", "api"); return err },
		"other node by credential token": func() error {
			_, _, err := signLeaf(f.s, "", "", structs.NodeCredential(other, testSecret(other)), "api")
			return err
		},
		"wrong secret": func() error { _, _, err := signLeaf(f.s, runs, "bogus", "", "api"); return err },
		"no secret":    func() error { _, _, err := signLeaf(f.s, runs, "", "", "api"); return err },
		"no auth":      func() error { _, _, err := signLeaf(f.s, "", "", "", "api"); return err },
		"read-only token": func() error {
			tok := clientToken(t, f.s, f.mgmt, "reader", `namespace "default" { policy = "read" }`+"\n"+`operator { policy = "read" }`, 0)
			_, _, err := signLeaf(f.s, "", "", tok, "api")
			return err
		},
	}
	for name, call := range denied {
		if err := call(); err == nil || !strings.Contains(err.Error(), "Permission denied") {
			t.Errorf("%s: err = %v, want Permission denied", name, err)
		}
	}
	op := clientToken(t, f.s, f.mgmt, "op", `operator { policy = "write" }`, 0)
	if _, _, err := signLeaf(f.s, "", "", op, "anything"); err != nil {
		t.Fatalf("operator write token: %v", err)
	}
	// A CSR that is not one is refused as invalid, not signed.
	req := &structs.MeshSignLeafRequest{Namespace: "default", Service: "api", CSRPEM: "nope", NodeID: runs, SecretID: testSecret(runs)}
	if err := f.s.RPC(structs.MeshSignLeafRPC, req, &structs.MeshLeaf{}); err == nil || !strings.Contains(err.Error(), "invalid") {
		t.Fatalf("garbage CSR: %v", err)
	}
	// Roots need a valid token; rotation needs operator write.
	if err := f.s.RPC(structs.MeshCARootsRPC, &structs.MeshCARootsRequest{}, &structs.MeshCARootsResponse{}); err == nil {
		t.Error("roots read without a token")
	}
	rot := &structs.MeshRotateRootRequest{}
	rot.AuthToken = structs.NodeCredential(runs, testSecret(runs))
	if err := f.s.RPC(structs.MeshRotateRootRPC, rot, &structs.MeshRotateRootResponse{}); err == nil || !strings.Contains(err.Error(), "Permission denied") {
		t.Errorf("rotation by a node: %v", err)
	}
	nodeRoots := &structs.MeshCARootsRequest{}
	nodeRoots.AuthToken = structs.NodeCredential(runs, testSecret(runs))
	if err := f.s.RPC(structs.MeshCARootsRPC, nodeRoots, &structs.MeshCARootsResponse{}); err != nil {
		t.Errorf("roots read by a node: %v", err)
	}
}

// TestMeshCA_RotateAndPrune: after a rotation new leaves chain to the new
// root, an old leaf still verifies against the roots, and the old root is
// dropped once every leaf it signed has expired (leaf TTL 2s here).
func TestMeshCA_RotateAndPrune(t *testing.T) {
	f := newCAFixture(t, func(c *Config) {
		c.MeshCA = MeshCAConfig{LeafTTL: 2 * time.Second, RetireGrace: time.Second, PruneInterval: 100 * time.Millisecond}
	})
	runs := f.runs.ID
	before := meshRoots(t, f.s, f.mgmt, 0)
	oldLeaf, _, err := signLeaf(f.s, runs, testSecret(runs), "", "api")
	if err != nil {
		t.Fatal(err)
	}
	if d := oldLeaf.ValidBefore - time.Now().Unix(); d > 3 {
		t.Fatalf("leaf TTL config not applied: ends in %ds", d)
	}
	rot := &structs.MeshRotateRootRequest{}
	rot.AuthToken = f.mgmt
	var rr structs.MeshRotateRootResponse
	if err := f.s.RPC(structs.MeshRotateRootRPC, rot, &rr); err != nil {
		t.Fatal(err)
	}
	if rr.RetiredID != before.Roots[0].ID || rr.Root.ID == rr.RetiredID {
		t.Fatalf("rotation: new %s, retired %s, old %s", rr.Root.ID, rr.RetiredID, before.Roots[0].ID)
	}
	after := meshRoots(t, f.s, f.mgmt, 0)
	if len(after.Roots) != 2 || activeRoot(after.Roots).ID != rr.Root.ID {
		t.Fatalf("roots after rotation: %+v", after.Roots)
	}
	newLeaf, _, err := signLeaf(f.s, runs, testSecret(runs), "", "api")
	if err != nil {
		t.Fatal(err)
	}
	if newLeaf.RootID != rr.Root.ID {
		t.Fatalf("new leaf signed by %s, want the new root %s", newLeaf.RootID, rr.Root.ID)
	}
	// The new leaf chains to the new root alone; the old leaf to the
	// roots list (which still has the old root).
	if _, err := verifyLeaf(t, newLeaf, []*structs.MeshCARoot{rr.Root}); err != nil {
		t.Fatalf("new leaf against the new root: %v", err)
	}
	if _, err := verifyLeaf(t, oldLeaf, []*structs.MeshCARoot{rr.Root}); err == nil {
		t.Fatal("old leaf verified against the new root alone")
	}
	if _, err := verifyLeaf(t, oldLeaf, after.Roots); err != nil {
		t.Fatalf("old leaf against the trusted roots after rotation: %v", err)
	}
	waitFor(t, "the retired root pruned", func() bool {
		roots, err := f.s.State().MeshCARoots(nil)
		if err != nil {
			t.Fatal(err)
		}
		return len(roots) == 1 && roots[0].ID == rr.Root.ID && roots[0].Active
	})
	if !time.Now().After(time.Unix(oldLeaf.ValidBefore, 0)) {
		t.Fatalf("the old root was pruned before its last leaf expired (%v)", time.Unix(oldLeaf.ValidBefore, 0))
	}
	if got := meshRoots(t, f.s, f.mgmt, 0); len(got.Roots) != 1 || got.Roots[0].ID != rr.Root.ID {
		t.Fatalf("roots after pruning: %+v", got.Roots)
	}
}

// TestMeshCA_FailoverKeepsRoot: a new leader finds the root in the state
// and creates no second one; leaves it signs chain to the same root.
func TestMeshCA_FailoverKeepsRoot(t *testing.T) {
	servers := testCluster(t, 3)
	leader, followers := leaderOf(servers)
	if leader == nil || len(followers) != 2 {
		t.Fatal("want 1 leader and 2 followers")
	}
	first := waitMeshRoot(t, leader, "")
	waitFor(t, "the root replicated", func() bool {
		for _, f := range followers {
			if r, _ := f.State().MeshCAActiveRoot(nil); r == nil {
				return false
			}
		}
		return true
	})
	// Through a follower: roots and signing are forwarded to the leader
	// over the network transport.
	viaFollower, _, err := signLeaf(followers[0], "", "", "", "web")
	if err != nil || viaFollower.RootID != first.Roots[0].ID {
		t.Fatalf("sign through a follower: %+v, %v", viaFollower, err)
	}
	if got := meshRoots(t, followers[1], "", 0); len(got.Roots) != 1 || got.Roots[0].ID != first.Roots[0].ID {
		t.Fatalf("roots through a follower: %+v", got.Roots)
	}
	failOver(t, leader, followers)
	var newLeader *Server
	waitFor(t, "the new leader's duties", func() bool {
		newLeader, _ = leaderOf(followers)
		if newLeader == nil {
			return false
		}
		newLeader.leaderMu.Lock()
		defer newLeader.leaderMu.Unlock()
		return newLeader.leaderCancel != nil
	})
	// What the leader duty does on taking office, run again to be sure it
	// has run: it must find the root and write nothing.
	if err := newLeader.ensureMeshCARoot(time.Now()); err != nil {
		t.Fatal(err)
	}
	got := meshRoots(t, newLeader, "", 0)
	if len(got.Roots) != 1 || got.Roots[0].ID != first.Roots[0].ID {
		t.Fatalf("roots after failover: %+v, want only %s", got.Roots, first.Roots[0].ID)
	}
	leaf, _, err := signLeaf(newLeader, "", "", "", "web")
	if err != nil {
		t.Fatal(err)
	}
	if leaf.RootID != first.Roots[0].ID {
		t.Fatalf("leaf after failover signed by %s, want %s", leaf.RootID, first.Roots[0].ID)
	}
}
