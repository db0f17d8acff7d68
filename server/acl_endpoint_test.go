package server

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

func bootstrap(t *testing.T, s *Server, reset uint64) (*structs.ACLToken, error) {
	t.Helper()
	var out structs.ACLTokenResponse
	err := s.RPC(structs.ACLBootstrapRPC, &structs.ACLBootstrapRequest{ResetIndex: reset}, &out)
	return out.Token, err
}

// clientToken writes a policy and returns the secret of a token holding it.
func clientToken(t *testing.T, s *Server, mgmt, name, rules string, ttl time.Duration) string {
	t.Helper()
	p := &structs.ACLPolicyUpsertRequest{Policies: []*structs.ACLPolicy{{Name: name, Rules: rules}}}
	p.AuthToken = mgmt
	if err := s.RPC(structs.ACLUpsertPoliciesRPC, p, &structs.GenericResponse{}); err != nil {
		t.Fatalf("write policy %s: %v", name, err)
	}
	tok := &structs.ACLTokenUpsertRequest{Tokens: []*structs.ACLToken{{Name: name, Policies: []string{name}, ExpirationTTL: structs.Duration(ttl)}}}
	tok.AuthToken = mgmt
	var out structs.ACLTokenUpsertResponse
	if err := s.RPC(structs.ACLUpsertTokensRPC, tok, &out); err != nil {
		t.Fatalf("create token %s: %v", name, err)
	}
	return out.Tokens[0].SecretID
}

// TestACLBootstrapOnceAndReset: a second bootstrap is refused with the
// reset index, and the documented reset file allows exactly one more.
func TestACLBootstrapOnceAndReset(t *testing.T) {
	dir := t.TempDir()
	s := testServer(t, func(c *Config) { c.ACLEnabled = true; c.DataDir = dir })
	first, err := bootstrap(t, s, 0)
	if err != nil || first.SecretID == "" || first.Type != structs.ACLTokenTypeManagement {
		t.Fatalf("bootstrap: %+v, %v", first, err)
	}
	logBefore := s.raft.LastIndex()
	_, err = bootstrap(t, s, 0)
	if err == nil || !strings.Contains(err.Error(), "already done (reset index: ") || strings.Contains(err.Error(), "apply entry") {
		t.Fatalf("second bootstrap: %v, want the state's refusal naming the reset index", err)
	}
	if after := s.raft.LastIndex(); after != logBefore {
		t.Fatalf("the refused bootstrap wrote to the Raft log (last index %d -> %d)", logBefore, after)
	}
	idx := s.State().ACLBootstrapIndex()
	if err := os.WriteFile(filepath.Join(dir, BootstrapResetFile), []byte(strconv.FormatUint(idx, 10)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	second, err := bootstrap(t, s, 0)
	if err != nil || second.SecretID == "" || second.SecretID == first.SecretID {
		t.Fatalf("bootstrap after reset: %+v, %v", second, err)
	}
	if _, err := bootstrap(t, s, 0); err == nil {
		t.Fatal("the same reset file allowed a third bootstrap")
	}
}

// TestACLTokenExpiry: an expired token is refused like an unknown one.
func TestACLTokenExpiry(t *testing.T) {
	s := testServer(t, func(c *Config) { c.ACLEnabled = true })
	mgmt, err := bootstrap(t, s, 0)
	if err != nil {
		t.Fatal(err)
	}
	secret := clientToken(t, s, mgmt.SecretID, "reader", `node { policy = "read" }`, 300*time.Millisecond)
	list := func() error {
		args := &structs.NodeListRequest{}
		args.AuthToken = secret
		return s.RPC(structs.NodeListRPC, args, &structs.NodeListResponse{})
	}
	if err := list(); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
	waitFor(t, "the token to expire", func() bool {
		err := list()
		return err != nil && strings.Contains(err.Error(), "Permission denied: ACL token expired")
	})
}

// TestJobRevertToPrivilegedVersionNeedsTheCapability: reverting is
// submitting the old version again, with the same check.
func TestJobRevertToPrivilegedVersionNeedsTheCapability(t *testing.T) {
	s := testServer(t, func(c *Config) { c.ACLEnabled = true })
	mgmt, err := bootstrap(t, s, 0)
	if err != nil {
		t.Fatal(err)
	}
	writer := clientToken(t, s, mgmt.SecretID, "writer", `namespace "default" { policy = "write" }`, 0)
	register := func(token, user string) error {
		job := testJob("web", 1, 64)
		job.Groups[0].Tasks[0].User = user
		args := &structs.JobRegisterRequest{Job: job}
		args.AuthToken = token
		return s.RPC(structs.JobRegisterRPC, args, &structs.JobRegisterResponse{})
	}
	if err := register(mgmt.SecretID, ""); err != nil { // v0: no user, privileged
		t.Fatal(err)
	}
	err = register(writer, "")
	if err == nil || !strings.Contains(err.Error(), `missing capability "submit-privileged-job"`) {
		t.Fatalf("writer submitting a privileged job: %v", err)
	}
	if err := register(writer, "nobody"); err != nil { // v1
		t.Fatalf("writer submitting an unprivileged job: %v", err)
	}
	revert := &structs.JobRevertRequest{JobID: "web", Version: 0}
	revert.AuthToken = writer
	err = s.RPC("Job.Revert", revert, &structs.JobRegisterResponse{})
	if err == nil || !strings.Contains(err.Error(), "submit-privileged-job") {
		t.Fatalf("writer reverting to the privileged version: %v", err)
	}
	job, _ := s.State().JobByID(nil, structs.DefaultNamespace, "web")
	if job.Version != 1 {
		t.Fatalf("job is at version %d after a refused revert, want 1", job.Version)
	}
}

// TestACLPolicyBadInput: rules that do not parse or are too large are
// refused with a message, and nothing is written.
func TestACLPolicyBadInput(t *testing.T) {
	s := testServer(t, func(c *Config) { c.ACLEnabled = true })
	mgmt, err := bootstrap(t, s, 0)
	if err != nil {
		t.Fatal(err)
	}
	for rules, want := range map[string]string{
		`namespace "x" { policy = "wrte" }`:                              `unknown policy "wrte"`,
		strings.Repeat("# padding\n", 8000) + `node { policy = "read" }`: "the limit is 65536",
	} {
		args := &structs.ACLPolicyUpsertRequest{Policies: []*structs.ACLPolicy{{Name: "p", Rules: rules}}}
		args.AuthToken = mgmt.SecretID
		err := s.RPC(structs.ACLUpsertPoliciesRPC, args, &structs.GenericResponse{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("rules of %d bytes: %v, want %q", len(rules), err, want)
		}
	}
	if p, _ := s.State().ACLPolicyByName(nil, "p"); p != nil {
		t.Fatalf("a refused policy was stored: %+v", p)
	}
}
