package state

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// TestLoginTablesSurviveSnapshots: users (with their hashes and TOTP
// state), login sessions, signing keys, auth methods and binding rules are
// written to snapshots and read back unchanged.
func TestLoginTablesSurviveSnapshots(t *testing.T) {
	s := testStore(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	until := now.Add(time.Minute)
	must(t, s.Update(10, func(tx *WriteTxn) error {
		return tx.UpsertACLUsers([]*structs.ACLUser{{Name: "alice", Type: "client", Policies: []string{"p"},
			PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", TOTPEnabled: true, TOTPSecret: "ABC", TOTPLastStep: 7,
			FailedLogins: 2, Lockouts: 1, LockedUntil: &until}},
			[]*structs.ACLLoginSession{{ID: "s1", User: "alice", CurrentHash: "h2", UsedHashes: []string{"h1"}, ExpirationTime: now.Add(time.Hour)}}, now)
	}))
	must(t, s.Update(11, func(tx *WriteTxn) error {
		return tx.UpsertACLSigningKeys([]*structs.ACLSigningKey{{KeyID: "k1", Algorithm: "EdDSA", PublicKey: []byte{1, 2}, PrivateKey: []byte{3}, Active: true}}, nil)
	}))
	must(t, s.Update(12, func(tx *WriteTxn) error {
		return tx.UpsertACLAuthMethods([]*structs.ACLAuthMethod{{Name: "idp", Type: "jwt", Config: &structs.JWTAuthConfig{BoundIssuer: "x"}}})
	}))
	must(t, s.Update(13, func(tx *WriteTxn) error {
		return tx.UpsertACLBindingRules([]*structs.ACLBindingRule{{ID: "r1", AuthMethod: "idp", BindType: "management"}})
	}))
	r, err := Restore(bytes.NewReader(persist(t, s)), hclog.NewNullLogger())
	must(t, err)
	want, got := dump(t, s), dump(t, r)
	if want != got {
		t.Fatalf("restored state differs:\nwant:\n%s\ngot:\n%s", want, got)
	}
	for _, tbl := range []string{TableACLUsers, TableACLLoginSessions, TableACLSigningKeys, TableACLAuthMethods, TableACLBindingRules} {
		if !strings.Contains(got, tbl+": ") {
			t.Errorf("table %s is missing from the restored state", tbl)
		}
	}
	if sess, used, _ := r.LoginSessionByRefreshHash("h1"); sess == nil || !used {
		t.Fatal("the restored session does not know its used refresh token")
	}
	// Expired sessions are dropped by the next write that carries a time.
	must(t, r.Update(14, func(tx *WriteTxn) error { return tx.UpsertACLUsers(nil, nil, now.Add(2*time.Hour)) }))
	if sess, _ := r.LoginSessionByID(nil, "s1"); sess != nil {
		t.Fatal("an expired session survived a write past its expiry")
	}
	// Deleting the auth method takes its binding rules along.
	must(t, r.Update(15, func(tx *WriteTxn) error { return tx.DeleteACLAuthMethods([]string{"idp"}) }))
	if rule, _ := r.ACLBindingRuleByID(nil, "r1"); rule != nil {
		t.Fatal("a binding rule outlived its auth method")
	}
}
