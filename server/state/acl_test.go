package state

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-memdb"
)

func policyName(p *structs.ACLPolicy) string { return p.Name }
func tokenID(t *structs.ACLToken) string     { return t.AccessorID }
func roleID(r *structs.ACLRole) string       { return r.ID }

func mockToken(accessor, secret string) *structs.ACLToken {
	return &structs.ACLToken{
		AccessorID: accessor, SecretID: secret, Name: "token " + accessor,
		Type: structs.ACLTokenTypeClient, Policies: []string{"readonly"},
		CreateTime: time.Unix(100, 0).UTC(),
	}
}

// wantErr fails unless err is non-nil, matches is, and its text contains
// every fragment.
func wantErr(t *testing.T, err error, is func(error) bool, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", fragments)
	}
	if is != nil && !is(err) {
		t.Fatalf("error %q is of the wrong kind", err)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Fatalf("error %q does not contain %q", err, f)
		}
	}
}

func isConflict(err error) bool { return errors.Is(err, structs.ErrConflict) }

func TestACLPolicies(t *testing.T) {
	s := testStore(t)
	must(t, s.Update(1, func(tx *WriteTxn) error {
		return tx.UpsertACLPolicies([]*structs.ACLPolicy{
			{Name: "writer", Rules: `namespace "default" { policy = "write" }`},
			{Name: "readonly", Rules: `namespace "*" { policy = "read" }`},
		})
	}))
	must(t, s.Update(2, func(tx *WriteTxn) error {
		return tx.UpsertACLPolicies([]*structs.ACLPolicy{{Name: "readonly", Description: "changed", Rules: "x"}})
	}))

	p, err := s.ACLPolicyByName(nil, "readonly")
	must(t, err)
	if p == nil || p.Description != "changed" || p.CreateIndex != 1 || p.ModifyIndex != 2 {
		t.Fatalf("updated policy %+v", p)
	}
	if p, _ := s.ACLPolicyByName(nil, "nope"); p != nil {
		t.Fatalf("unknown policy found: %+v", p)
	}
	all, err := s.ACLPolicies(nil)
	must(t, err)
	if got := strings.Join(ids(all, policyName), ","); got != "readonly,writer" {
		t.Fatalf("policies %s, want sorted by name", got)
	}
	if idx, _ := s.Index(TableACLPolicies); idx != 2 {
		t.Fatalf("table index %d, want 2", idx)
	}

	err = s.Update(3, func(tx *WriteTxn) error {
		return tx.UpsertACLPolicies([]*structs.ACLPolicy{{Name: "has space"}})
	})
	wantErr(t, err, structs.IsValidation, `policy name "has space" is invalid`, "letters, digits")
	err = s.Update(3, func(tx *WriteTxn) error { return tx.UpsertACLPolicies([]*structs.ACLPolicy{{}}) })
	wantErr(t, err, structs.IsValidation, "policy name is missing")

	// An unknown name fails the whole delete: "writer" stays.
	err = s.Update(4, func(tx *WriteTxn) error { return tx.DeleteACLPolicies([]string{"writer", "ghost"}) })
	wantErr(t, err, structs.IsNotFound, `ACL policy "ghost"`)
	if p, _ := s.ACLPolicyByName(nil, "writer"); p == nil {
		t.Fatal("a failed delete removed a policy")
	}
	must(t, s.Update(5, func(tx *WriteTxn) error { return tx.DeleteACLPolicies([]string{"writer"}) }))
	if p, _ := s.ACLPolicyByName(nil, "writer"); p != nil {
		t.Fatal("deleted policy still there")
	}
	if idx, _ := s.Index(TableACLPolicies); idx != 5 {
		t.Fatalf("table index after delete %d, want 5", idx)
	}
}

func TestACLTokens(t *testing.T) {
	s := testStore(t)
	in := mockToken("acc-b", "secret-b")
	must(t, s.Update(1, func(tx *WriteTxn) error {
		return tx.UpsertACLTokens([]*structs.ACLToken{in, mockToken("acc-a", "secret-a")})
	}))
	if in.SecretID != "secret-b" || in.CreateIndex != 0 {
		t.Fatal("the caller's token was changed")
	}
	tok, err := s.ACLTokenByAccessorID(nil, "acc-b")
	must(t, err)
	if tok == nil || tok.SecretID != "" || tok.SecretHash != structs.HashSecret("secret-b") ||
		tok.CreateIndex != 1 || tok.ModifyIndex != 1 {
		t.Fatalf("stored token %+v", tok)
	}
	bySecret, err := s.ACLTokenBySecretHash(nil, structs.HashSecret("secret-a"))
	must(t, err)
	if bySecret == nil || bySecret.AccessorID != "acc-a" {
		t.Fatalf("token by secret hash: %+v", bySecret)
	}
	for _, h := range []string{"", structs.HashSecret("wrong")} {
		if tok, _ := s.ACLTokenBySecretHash(nil, h); tok != nil {
			t.Fatalf("hash %q found token %s", h, tok.AccessorID)
		}
	}

	// An update without a secret keeps the stored hash, creation index and
	// creation time.
	upd := &structs.ACLToken{AccessorID: "acc-b", Name: "renamed", Type: structs.ACLTokenTypeClient,
		CreateTime: time.Unix(999, 0).UTC()}
	must(t, s.Update(2, func(tx *WriteTxn) error { return tx.UpsertACLTokens([]*structs.ACLToken{upd}) }))
	tok, _ = s.ACLTokenBySecretHash(nil, structs.HashSecret("secret-b"))
	if tok == nil || tok.Name != "renamed" || tok.CreateIndex != 1 || tok.ModifyIndex != 2 ||
		!tok.CreateTime.Equal(time.Unix(100, 0)) {
		t.Fatalf("updated token %+v", tok)
	}
	// A token given only a hash (how the RPC layer sends them) is stored as is.
	must(t, s.Update(3, func(tx *WriteTxn) error {
		return tx.UpsertACLTokens([]*structs.ACLToken{{AccessorID: "acc-0", SecretHash: structs.HashSecret("s0"),
			Type: structs.ACLTokenTypeManagement}})
	}))

	list, err := s.ACLTokens(nil)
	must(t, err)
	if got := strings.Join(ids(list, tokenID), ","); got != "acc-a,acc-b,acc-0" {
		t.Fatalf("tokens %s, want by create index then accessor", got)
	}

	bad := []struct {
		name  string
		token *structs.ACLToken
		is    func(error) bool
		want  string
	}{
		{"no accessor", &structs.ACLToken{SecretID: "x", Type: "client"}, structs.IsValidation, "accessor ID is missing"},
		{"no secret", &structs.ACLToken{AccessorID: "new", Type: "client"}, structs.IsValidation, `token "new" has no secret`},
		{"bad type", &structs.ACLToken{AccessorID: "new", SecretID: "x", Type: "root"}, structs.IsValidation, `type "root" is unknown`},
		{"hash mismatch", &structs.ACLToken{AccessorID: "new", SecretID: "x", SecretHash: "abc", Type: "client"},
			structs.IsValidation, "secret hash does not match"},
		{"shared secret", mockToken("acc-c", "secret-a"), isConflict, `token "acc-c" has the same secret as token "acc-a"`},
		{"nil", nil, structs.IsValidation, "a token in the list is empty"},
	}
	for _, c := range bad {
		err := s.Update(4, func(tx *WriteTxn) error { return tx.UpsertACLTokens([]*structs.ACLToken{c.token}) })
		if err == nil {
			t.Fatalf("%s: accepted", c.name)
		}
		wantErr(t, err, c.is, c.want)
	}
	if idx, _ := s.Index(TableACLTokens); idx != 3 {
		t.Fatalf("rejected writes moved the table index to %d", idx)
	}

	err = s.Update(4, func(tx *WriteTxn) error { return tx.DeleteACLTokens([]string{"acc-a", "ghost"}) })
	wantErr(t, err, structs.IsNotFound, `ACL token "ghost"`)
	must(t, s.Update(5, func(tx *WriteTxn) error { return tx.DeleteACLTokens([]string{"acc-a"}) }))
	if tok, _ := s.ACLTokenBySecretHash(nil, structs.HashSecret("secret-a")); tok != nil {
		t.Fatal("deleted token still resolves by its secret")
	}
	// Its secret is free again.
	must(t, s.Update(6, func(tx *WriteTxn) error {
		return tx.UpsertACLTokens([]*structs.ACLToken{mockToken("acc-c", "secret-a")})
	}))
}

func TestACLRoles(t *testing.T) {
	s := testStore(t)
	must(t, s.Update(1, func(tx *WriteTxn) error {
		return tx.UpsertACLRoles([]*structs.ACLRole{
			{ID: "r1", Name: "ops", Policies: []string{"writer"}},
			{ID: "r2", Name: "dev", Policies: []string{"readonly"}},
		})
	}))
	r, err := s.ACLRoleByID(nil, "r1")
	must(t, err)
	if r == nil || r.Name != "ops" || r.CreateIndex != 1 {
		t.Fatalf("role by ID %+v", r)
	}
	r, err = s.ACLRoleByName(nil, "dev")
	must(t, err)
	if r == nil || r.ID != "r2" {
		t.Fatalf("role by name %+v", r)
	}

	err = s.Update(2, func(tx *WriteTxn) error {
		return tx.UpsertACLRoles([]*structs.ACLRole{{ID: "r3", Name: "ops"}})
	})
	wantErr(t, err, isConflict, `role name "ops" is already used by role "r1"`)
	err = s.Update(2, func(tx *WriteTxn) error {
		return tx.UpsertACLRoles([]*structs.ACLRole{{Name: "a/b"}})
	})
	wantErr(t, err, structs.IsValidation, "role ID is missing", `role name "a/b" is invalid`)

	// Renaming keeps the ID and frees the old name.
	must(t, s.Update(3, func(tx *WriteTxn) error {
		return tx.UpsertACLRoles([]*structs.ACLRole{{ID: "r1", Name: "admins"}})
	}))
	if r, _ := s.ACLRoleByName(nil, "ops"); r != nil {
		t.Fatalf("old name still finds %+v", r)
	}
	r, _ = s.ACLRoleByName(nil, "admins")
	if r == nil || r.ID != "r1" || r.CreateIndex != 1 || r.ModifyIndex != 3 {
		t.Fatalf("renamed role %+v", r)
	}
	must(t, s.Update(4, func(tx *WriteTxn) error {
		return tx.UpsertACLRoles([]*structs.ACLRole{{ID: "r3", Name: "ops"}})
	}))
	roles, err := s.ACLRoles(nil)
	must(t, err)
	if got := strings.Join(ids(roles, roleID), ","); got != "r1,r2,r3" {
		t.Fatalf("roles %s, want sorted by name (admins, dev, ops)", got)
	}

	err = s.Update(5, func(tx *WriteTxn) error { return tx.DeleteACLRoles([]string{"r2", "ghost"}) })
	wantErr(t, err, structs.IsNotFound, `ACL role "ghost"`)
	must(t, s.Update(5, func(tx *WriteTxn) error { return tx.DeleteACLRoles([]string{"r2"}) }))
	if r, _ := s.ACLRoleByName(nil, "dev"); r != nil {
		t.Fatal("deleted role still found by name")
	}
	if idx, _ := s.Index(TableACLRoles); idx != 5 {
		t.Fatalf("table index %d, want 5", idx)
	}
}

func bootstrapToken(accessor, secret string) *structs.ACLToken {
	tok := mockToken(accessor, secret)
	tok.Type, tok.Policies = structs.ACLTokenTypeManagement, nil
	return tok
}

func TestACLBootstrapOnceAndReset(t *testing.T) {
	s := testStore(t)
	if idx := s.ACLBootstrapIndex(); idx != 0 {
		t.Fatalf("fresh store bootstrap index %d", idx)
	}
	// Never bootstrapped: any reset index is accepted.
	must(t, s.Update(5, func(tx *WriteTxn) error {
		return tx.BootstrapACLToken(bootstrapToken("root-1", "first-secret"), 42)
	}))
	if idx := s.ACLBootstrapIndex(); idx != 5 {
		t.Fatalf("bootstrap index %d, want 5", idx)
	}
	tok, _ := s.ACLTokenBySecretHash(nil, structs.HashSecret("first-secret"))
	if tok == nil || tok.AccessorID != "root-1" || tok.SecretID != "" {
		t.Fatalf("bootstrap token %+v", tok)
	}

	for _, reset := range []uint64{0, 4, 6} {
		err := s.Update(6, func(tx *WriteTxn) error {
			return tx.BootstrapACLToken(bootstrapToken("root-2", "second-secret"), reset)
		})
		wantErr(t, err, isConflict, "ACL bootstrap already done (reset index: 5)")
	}
	if tok, _ := s.ACLTokenByAccessorID(nil, "root-2"); tok != nil {
		t.Fatal("a refused bootstrap stored its token")
	}

	// The reset procedure: send back the index of the last bootstrap.
	must(t, s.Update(7, func(tx *WriteTxn) error {
		return tx.BootstrapACLToken(bootstrapToken("root-2", "second-secret"), 5)
	}))
	if idx := s.ACLBootstrapIndex(); idx != 7 {
		t.Fatalf("bootstrap index after reset %d, want 7", idx)
	}
	err := s.Update(8, func(tx *WriteTxn) error {
		return tx.BootstrapACLToken(bootstrapToken("root-3", "third-secret"), 5)
	})
	wantErr(t, err, isConflict, "ACL bootstrap already done (reset index: 7)")

	err = s.Update(8, func(tx *WriteTxn) error {
		return tx.BootstrapACLToken(mockToken("c", "client-secret"), 7)
	})
	wantErr(t, err, structs.IsValidation, `bootstrap token must be a "management" token`)
	err = s.Update(8, func(tx *WriteTxn) error { return tx.BootstrapACLToken(nil, 7) })
	wantErr(t, err, structs.IsValidation, "bootstrap token is missing")

	// Snapshots hold the hash, never the secret, and keep the bootstrap
	// index.
	data := persist(t, s)
	for _, secret := range []string{"first-secret", "second-secret"} {
		if bytes.Contains(data, []byte(secret)) {
			t.Fatalf("snapshot contains the secret %q", secret)
		}
	}
	if !bytes.Contains(data, []byte(structs.HashSecret("second-secret"))) {
		t.Fatal("snapshot lacks the token's secret hash (is the token table persisted?)")
	}
	r, err := Restore(bytes.NewReader(data), hclog.NewNullLogger())
	must(t, err)
	if idx := r.ACLBootstrapIndex(); idx != 7 {
		t.Fatalf("restored bootstrap index %d, want 7", idx)
	}
	err = r.Update(9, func(tx *WriteTxn) error {
		return tx.BootstrapACLToken(bootstrapToken("root-3", "third-secret"), 0)
	})
	wantErr(t, err, isConflict, "reset index: 7")
}

func TestBlockingQueryWakesOnTokenUpsert(t *testing.T) {
	s := testStore(t)
	must(t, s.Update(3, func(tx *WriteTxn) error {
		return tx.UpsertACLTokens([]*structs.ACLToken{mockToken("acc-a", "secret-a")})
	}))
	query := func(ws memdb.WatchSet, s *StateStore) (any, uint64, error) {
		tokens, err := s.ACLTokens(ws)
		if err != nil {
			return nil, 0, err
		}
		idx, err := s.MaxIndex(TableACLTokens)
		return tokens, idx, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch := runQuery(ctx, s, 3, query)
	// A write to another ACL table does not wake it ...
	must(t, s.Update(4, func(tx *WriteTxn) error {
		return tx.UpsertACLPolicies([]*structs.ACLPolicy{{Name: "p"}})
	}))
	select {
	case r := <-ch:
		t.Fatalf("query returned on an unrelated write: %+v", r)
	case <-time.After(50 * time.Millisecond):
	}
	// ... a token upsert does.
	must(t, s.Update(5, func(tx *WriteTxn) error {
		return tx.UpsertACLTokens([]*structs.ACLToken{mockToken("acc-b", "secret-b")})
	}))
	select {
	case r := <-ch:
		if r.err != nil || r.index != 5 || len(r.resp.([]*structs.ACLToken)) != 2 {
			t.Fatalf("woken query: index %d err %v resp %v", r.index, r.err, r.resp)
		}
	case <-ctx.Done():
		t.Fatal("blocking query did not wake on a token upsert")
	}
}

// Every ACL and namespace table survives a snapshot and restore.
func TestPersistRestoreACLAndNamespaces(t *testing.T) {
	s := populated(t)
	must(t, s.Update(7, func(tx *WriteTxn) error {
		if err := tx.UpsertACLPolicies([]*structs.ACLPolicy{{Name: "readonly", Rules: `namespace "*" { policy = "read" }`}}); err != nil {
			return err
		}
		if err := tx.UpsertACLRoles([]*structs.ACLRole{{ID: "r1", Name: "ops", Policies: []string{"readonly"}}}); err != nil {
			return err
		}
		exp := time.Unix(5000, 0).UTC()
		tok := mockToken("acc-a", "secret-a")
		tok.Roles, tok.ExpirationTime = []string{"ops"}, &exp
		if err := tx.UpsertACLTokens([]*structs.ACLToken{tok}); err != nil {
			return err
		}
		return tx.UpsertNamespaces([]*structs.Namespace{{Name: "dev", Meta: map[string]string{"team": "a"}}})
	}))
	must(t, s.Update(8, func(tx *WriteTxn) error {
		return tx.BootstrapACLToken(bootstrapToken("root", "root-secret"), 0)
	}))
	r, err := Restore(bytes.NewReader(persist(t, s)), hclog.NewNullLogger())
	must(t, err)
	want, got := dump(t, s), dump(t, r)
	if want != got {
		t.Fatalf("restored state differs:\nwant:\n%s\ngot:\n%s", want, got)
	}
	for _, table := range []string{TableACLPolicies, TableACLTokens, TableACLRoles, TableACLBootstrap, TableNamespaces} {
		if !strings.Contains(got, table+": ") {
			t.Fatalf("no %s rows in the restored state:\n%s", table, got)
		}
	}
	tok, _ := r.ACLTokenBySecretHash(nil, structs.HashSecret("secret-a"))
	if tok == nil || tok.ExpirationTime == nil || !tok.ExpirationTime.Equal(time.Unix(5000, 0)) || tok.Roles[0] != "ops" {
		t.Fatalf("restored token %+v", tok)
	}
	if role, _ := r.ACLRoleByName(nil, "ops"); role == nil || role.ID != "r1" {
		t.Fatalf("restored role by name: %+v", role)
	}
	if r.ACLBootstrapIndex() != 8 {
		t.Fatalf("restored bootstrap index %d", r.ACLBootstrapIndex())
	}
	if idx, _ := r.Index(TableACLTokens); idx != 8 {
		t.Fatalf("restored token table index %d, want 8", idx)
	}
}
