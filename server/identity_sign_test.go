package server

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/golang-jwt/jwt/v5"
)

// jwksVerifier verifies a token with the key of the cluster's public JWKS
// that its kid names, as a service outside the cluster would.
func jwksVerifier(t *testing.T, s *Server) jwt.Keyfunc {
	t.Helper()
	var pk structs.ACLPublicKeysResponse
	if err := s.RPC(structs.ACLPublicKeysRPC, &structs.GenericRequest{}, &pk); err != nil {
		t.Fatalf("read JWKS: %v", err)
	}
	return func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		for _, k := range pk.JWKS.Keys {
			if k.KeyID == kid {
				x, err := base64.RawURLEncoding.DecodeString(k.X)
				return ed25519.PublicKey(x), err
			}
		}
		return nil, jwt.ErrTokenUnverifiable
	}
}

func identityJob(id string) *structs.Job {
	job := testJob(id, 1, 64)
	job.Groups[0].Tasks[0].Identities = []*structs.WorkloadIdentity{
		{Env: true, File: true, Audience: []string{"billing"}, TTL: structs.Duration(time.Hour)},
		{Name: "db", File: true},
	}
	return job
}

// A node gets signed identities for the tasks of its own allocations; the
// tokens carry the task's names and verify with the public JWKS.
func TestSignIdentities_ClaimsAndSignature(t *testing.T) {
	s := testServer(t, nil)
	node := testNode("n1", 4000, 4096)
	registerNode(t, s, node)
	registerJob(t, s, identityJob("idjob"))
	waitFor(t, "the allocation placed", func() bool { return len(jobAllocs(t, s, "idjob")) == 1 })
	alloc := jobAllocs(t, s, "idjob")[0]

	var reply structs.SignIdentitiesResponse
	req := &structs.SignIdentitiesRequest{NodeID: node.ID, SecretID: testSecret(node.ID), AllocID: alloc.ID, Task: "server"}
	if err := s.RPC(structs.NodeSignIdentitiesRPC, req, &reply); err != nil {
		t.Fatalf("sign: %v", err)
	}
	if len(reply.Identities) != 2 {
		t.Fatalf("identities: %d, want 2", len(reply.Identities))
	}
	keyFn := jwksVerifier(t, s)
	var c workloadClaims
	tok, err := jwt.ParseWithClaims(reply.Identities[0].JWT, &c, keyFn, jwt.WithValidMethods([]string{"EdDSA"}),
		jwt.WithAudience("billing"), jwt.WithExpirationRequired())
	if err != nil || !tok.Valid {
		t.Fatalf("default identity does not verify with the JWKS: %v", err)
	}
	wantSub := "default:idjob:web:server"
	if c.Subject != wantSub || c.Namespace != "default" || c.JobID != "idjob" || c.AllocationID != alloc.ID || c.Task != "server" {
		t.Errorf("claims %+v, want sub %q and the allocation's names", c, wantSub)
	}
	if life := c.ExpiresAt.Sub(c.IssuedAt.Time); life != time.Hour {
		t.Errorf("token lives %s, want the ttl 1h", life)
	}
	if reply.Identities[1].Name != "db" || !reply.Identities[1].Expires.IsZero() {
		t.Errorf("named identity %+v, want name db without expiry", reply.Identities[1])
	}
	var c2 workloadClaims
	if _, err := jwt.ParseWithClaims(reply.Identities[1].JWT, &c2, keyFn, jwt.WithValidMethods([]string{"EdDSA"})); err != nil || c2.ExpiresAt != nil {
		t.Errorf("named identity: %v, exp %v (want none)", err, c2.ExpiresAt)
	}
	// A forged signature is refused by the same check.
	parts := strings.Split(reply.Identities[0].JWT, ".")
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"default:other:web:server","aud":"billing"}`)) + "." + parts[2]
	if _, err := jwt.Parse(forged, keyFn, jwt.WithValidMethods([]string{"EdDSA"})); err == nil {
		t.Error("a token with changed claims verified")
	}
}

// Node.SignIdentities refuses another node's allocation, a wrong secret,
// an unknown node and a task without identity blocks.
func TestSignIdentities_Refusals(t *testing.T) {
	s := testServer(t, nil)
	n1, n2 := testNode("n1", 4000, 4096), testNode("n2", 10, 10)
	registerNode(t, s, n1)
	registerNode(t, s, n2)
	registerJob(t, s, identityJob("idjob"))
	registerJob(t, s, testJob("plain", 1, 64))
	waitFor(t, "both placed", func() bool { return len(jobAllocs(t, s, "idjob")) == 1 && len(jobAllocs(t, s, "plain")) == 1 })
	alloc, plain := jobAllocs(t, s, "idjob")[0], jobAllocs(t, s, "plain")[0]
	if alloc.NodeID != n1.ID {
		t.Fatalf("allocation placed on %s, want n1 (n2 is too small)", alloc.NodeID)
	}
	for _, tc := range []struct {
		name string
		req  structs.SignIdentitiesRequest
		want string
	}{
		{"other node", structs.SignIdentitiesRequest{NodeID: n2.ID, SecretID: testSecret(n2.ID), AllocID: alloc.ID, Task: "server"}, "is not on node"},
		{"wrong secret", structs.SignIdentitiesRequest{NodeID: n1.ID, SecretID: testSecret(n2.ID), AllocID: alloc.ID, Task: "server"}, "node secret does not match"},
		{"no secret", structs.SignIdentitiesRequest{NodeID: n1.ID, AllocID: alloc.ID, Task: "server"}, "carries no node secret"},
		{"unknown node", structs.SignIdentitiesRequest{NodeID: structs.GenerateID(), SecretID: "x", AllocID: alloc.ID, Task: "server"}, "has no registered secret"},
		{"no identity block", structs.SignIdentitiesRequest{NodeID: n1.ID, SecretID: testSecret(n1.ID), AllocID: plain.ID, Task: "server"}, "declares no identity block"},
		{"unknown task", structs.SignIdentitiesRequest{NodeID: n1.ID, SecretID: testSecret(n1.ID), AllocID: alloc.ID, Task: "nope"}, `has no task "nope"`},
	} {
		var reply structs.SignIdentitiesResponse
		err := s.RPC(structs.NodeSignIdentitiesRPC, &tc.req, &reply)
		if err == nil || !strings.Contains(err.Error(), tc.want) || len(reply.Identities) != 0 {
			t.Errorf("%s: err %v (%d tokens), want %q", tc.name, err, len(reply.Identities), tc.want)
		}
	}
}

// A workload identity is no ACL token: with ACLs on, the API refuses it.
func TestSignIdentities_NotAnACLToken(t *testing.T) {
	s := testServer(t, func(c *Config) { c.ACLEnabled = true })
	mgmt, err := bootstrap(t, s, 0)
	if err != nil {
		t.Fatal(err)
	}
	node := testNode("n1", 4000, 4096)
	registerNode(t, s, node)
	job := identityJob("idjob")
	reg := &structs.JobRegisterRequest{Job: job}
	reg.AuthToken = mgmt.SecretID
	if err := s.RPC(structs.JobRegisterRPC, reg, &structs.JobRegisterResponse{}); err != nil {
		t.Fatal(err)
	}
	var alloc *structs.Allocation
	waitFor(t, "the allocation placed", func() bool {
		allocs, _ := s.State().AllocsByJob(nil, structs.DefaultNamespace, "idjob")
		if len(allocs) == 1 {
			alloc = allocs[0]
		}
		return alloc != nil
	})
	var reply structs.SignIdentitiesResponse
	req := &structs.SignIdentitiesRequest{NodeID: node.ID, SecretID: testSecret(node.ID), AllocID: alloc.ID, Task: "server"}
	if err := s.RPC(structs.NodeSignIdentitiesRPC, req, &reply); err != nil || len(reply.Identities) == 0 {
		t.Fatalf("sign with ACLs on: %v", err)
	}
	for _, id := range reply.Identities {
		list := &structs.JobListRequest{}
		list.AuthToken = id.JWT
		err := s.RPC(structs.JobListRPC, list, &structs.JobListResponse{})
		if err == nil || !strings.Contains(err.Error(), "Permission denied") {
			t.Errorf("identity %q used as an API token: %v, want permission denied", id.Name, err)
		}
	}
}
