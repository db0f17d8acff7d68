package fsm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/raft"
)

// applyErr applies one entry and returns its result, which must be an error.
func applyErr(t *testing.T, f *FSM, index uint64, typ structs.MessageType, msg any) error {
	t.Helper()
	resp := f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: encode(t, typ, msg)})
	err, ok := resp.(error)
	if !ok {
		t.Fatalf("entry type %d at %d was accepted (response %v), want an error", typ, index, resp)
	}
	return err
}

func mgmtToken(accessor, secret string) *structs.ACLToken {
	return &structs.ACLToken{AccessorID: accessor, SecretHash: structs.HashSecret(secret),
		Type: structs.ACLTokenTypeManagement, CreateTime: time.Unix(10, 0).UTC()}
}

// Every ACL and namespace entry type goes through FSM.Apply into the
// state; rejected entries come back as the apply result.
func TestApplyACLAndNamespaceEntries(t *testing.T) {
	f := testFSM(t)

	apply(t, f, 1, structs.ACLPolicyUpsertRequestType, &structs.ACLPolicyUpsertEntry{Policies: []*structs.ACLPolicy{
		{Name: "readonly", Rules: `namespace "*" { policy = "read" }`}, {Name: "writer", Rules: "w"}}})
	if p, _ := f.State().ACLPolicyByName(nil, "readonly"); p == nil || p.CreateIndex != 1 {
		t.Fatalf("policy after apply: %+v", p)
	}
	apply(t, f, 2, structs.ACLPolicyDeleteRequestType, &structs.ACLPolicyDeleteEntry{Names: []string{"writer"}})
	if p, _ := f.State().ACLPolicyByName(nil, "writer"); p != nil {
		t.Fatal("policy delete not applied")
	}

	apply(t, f, 3, structs.ACLRoleUpsertRequestType, &structs.ACLRoleUpsertEntry{Roles: []*structs.ACLRole{
		{ID: "r1", Name: "ops", Policies: []string{"readonly"}}, {ID: "r2", Name: "tmp"}}})
	if r, _ := f.State().ACLRoleByName(nil, "ops"); r == nil || r.ID != "r1" {
		t.Fatalf("role after apply: %+v", r)
	}
	apply(t, f, 4, structs.ACLRoleDeleteRequestType, &structs.ACLRoleDeleteEntry{IDs: []string{"r2"}})
	if r, _ := f.State().ACLRoleByID(nil, "r2"); r != nil {
		t.Fatal("role delete not applied")
	}

	client := &structs.ACLToken{AccessorID: "acc-1", SecretHash: structs.HashSecret("s1"),
		Type: structs.ACLTokenTypeClient, Roles: []string{"ops"}}
	apply(t, f, 5, structs.ACLTokenUpsertRequestType, &structs.ACLTokenUpsertEntry{Tokens: []*structs.ACLToken{
		client, mgmtToken("acc-2", "s2")}})
	if tok, _ := f.State().ACLTokenBySecretHash(nil, structs.HashSecret("s1")); tok == nil || tok.AccessorID != "acc-1" {
		t.Fatalf("token after apply: %+v", tok)
	}
	apply(t, f, 6, structs.ACLTokenDeleteRequestType, &structs.ACLTokenDeleteEntry{AccessorIDs: []string{"acc-2"}})
	if tok, _ := f.State().ACLTokenByAccessorID(nil, "acc-2"); tok != nil {
		t.Fatal("token delete not applied")
	}

	apply(t, f, 7, structs.ACLBootstrapRequestType, &structs.ACLBootstrapEntry{Token: mgmtToken("root", "root-secret")})
	if f.State().ACLBootstrapIndex() != 7 {
		t.Fatalf("bootstrap index %d, want 7", f.State().ACLBootstrapIndex())
	}

	apply(t, f, 8, structs.NamespaceUpsertRequestType, &structs.NamespaceUpsertEntry{Namespaces: []*structs.Namespace{
		{Name: "dev"}, {Name: "empty"}}})
	job := mockJob("web", structs.JobTypeService)
	job.Namespace = "dev"
	apply(t, f, 9, structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: job})
	apply(t, f, 10, structs.NamespaceDeleteRequestType, &structs.NamespaceDeleteEntry{Names: []string{"empty"}})
	list, err := f.State().Namespaces(nil)
	must(t, err)
	if len(list) != 2 || list[0].Name != "default" || list[1].Name != "dev" {
		t.Fatalf("namespaces after apply: %+v", list)
	}

	// Rejections, each naming the entry's index and the reason.
	err = applyErr(t, f, 11, structs.ACLBootstrapRequestType, &structs.ACLBootstrapEntry{Token: mgmtToken("root2", "x")})
	if !errors.Is(err, structs.ErrConflict) || !strings.Contains(err.Error(), "ACL bootstrap already done (reset index: 7)") ||
		!strings.Contains(err.Error(), "index 11") {
		t.Fatalf("second bootstrap: %v", err)
	}
	apply(t, f, 11, structs.ACLBootstrapRequestType, &structs.ACLBootstrapEntry{Token: mgmtToken("root2", "x"), ResetIndex: 7})
	if f.State().ACLBootstrapIndex() != 11 {
		t.Fatalf("bootstrap index after reset %d, want 11", f.State().ACLBootstrapIndex())
	}
	err = applyErr(t, f, 12, structs.NamespaceDeleteRequestType, &structs.NamespaceDeleteEntry{Names: []string{"dev"}})
	if !errors.Is(err, structs.ErrConflict) || !strings.Contains(err.Error(), `namespace "dev" still has 1 job`) {
		t.Fatalf("delete of a namespace with a job: %v", err)
	}
	for typ, msg := range map[structs.MessageType]any{
		structs.ACLPolicyDeleteRequestType: &structs.ACLPolicyDeleteEntry{Names: []string{"ghost"}},
		structs.ACLTokenDeleteRequestType:  &structs.ACLTokenDeleteEntry{AccessorIDs: []string{"ghost"}},
		structs.ACLRoleDeleteRequestType:   &structs.ACLRoleDeleteEntry{IDs: []string{"ghost"}},
		structs.NamespaceDeleteRequestType: &structs.NamespaceDeleteEntry{Names: []string{"ghost"}},
	} {
		if err := applyErr(t, f, 12, typ, msg); !structs.IsNotFound(err) {
			t.Fatalf("type %d delete of a missing object: %v", typ, err)
		}
	}
	err = applyErr(t, f, 12, structs.NamespaceUpsertRequestType, &structs.NamespaceUpsertEntry{Namespaces: []*structs.Namespace{{Name: "a b"}}})
	if !structs.IsValidation(err) {
		t.Fatalf("bad namespace name: %v", err)
	}
	err = applyErr(t, f, 12, structs.ACLBootstrapRequestType, &structs.ACLBootstrapEntry{ResetIndex: 11})
	if !structs.IsValidation(err) || !strings.Contains(err.Error(), "bootstrap token is missing") {
		t.Fatalf("bootstrap without a token: %v", err)
	}
	// Nothing of the rejected entries was written.
	if idx, _ := f.State().LatestIndex(); idx != 11 {
		t.Fatalf("latest index %d after rejected entries, want 11", idx)
	}
}

// ACL tables and the bootstrap index survive a real Raft snapshot and a
// restart from it, and the snapshot holds no token secret.
func TestRealRaftACLSnapshot(t *testing.T) {
	store, snaps := raft.NewInmemStore(), raft.NewInmemSnapshotStore()
	n := startRaft(t, store, snaps)
	// The entry carries the secret itself here, to prove the state strips
	// it even when a caller forgets to.
	root := mgmtToken("root", "")
	root.SecretID, root.SecretHash = "the-root-secret", ""
	boot := n.apply(t, structs.ACLBootstrapRequestType, &structs.ACLBootstrapEntry{Token: root})
	n.apply(t, structs.ACLPolicyUpsertRequestType, &structs.ACLPolicyUpsertEntry{Policies: []*structs.ACLPolicy{{Name: "readonly"}}})
	n.apply(t, structs.ACLRoleUpsertRequestType, &structs.ACLRoleUpsertEntry{Roles: []*structs.ACLRole{{ID: "r1", Name: "ops"}}})
	n.apply(t, structs.NamespaceUpsertRequestType, &structs.NamespaceUpsertEntry{Namespaces: []*structs.Namespace{{Name: "dev"}}})
	must(t, n.raft.Snapshot().Error())

	list, err := snaps.List()
	must(t, err)
	if len(list) == 0 {
		t.Fatal("no snapshot stored")
	}
	_, rc, err := snaps.Open(list[0].ID)
	must(t, err)
	data, err := io.ReadAll(rc)
	rc.Close()
	must(t, err)
	if bytes.Contains(data, []byte("the-root-secret")) {
		t.Fatal("the Raft snapshot contains the bootstrap token's secret")
	}
	if !bytes.Contains(data, []byte(structs.HashSecret("the-root-secret"))) {
		t.Fatal("the Raft snapshot lacks the bootstrap token")
	}
	must(t, n.raft.Shutdown().Error())

	n2 := startRaft(t, store, snaps)
	s := n2.fsm.State()
	if s.ACLBootstrapIndex() != boot {
		t.Fatalf("bootstrap index after restart %d, want %d", s.ACLBootstrapIndex(), boot)
	}
	tok, _ := s.ACLTokenBySecretHash(nil, structs.HashSecret("the-root-secret"))
	p, _ := s.ACLPolicyByName(nil, "readonly")
	r, _ := s.ACLRoleByName(nil, "ops")
	ns, _ := s.NamespaceByName(nil, "dev")
	if tok == nil || tok.SecretID != "" || p == nil || r == nil || ns == nil {
		t.Fatalf("after restart: token %+v policy %+v role %+v namespace %+v", tok, p, r, ns)
	}
	// The refusal after a restart still names the original bootstrap.
	fut := n2.raft.Apply(encode(t, structs.ACLBootstrapRequestType, &structs.ACLBootstrapEntry{Token: mgmtToken("again", "y")}), 5*time.Second)
	must(t, fut.Error())
	if err, ok := fut.Response().(error); !ok || !errors.Is(err, structs.ErrConflict) ||
		!strings.Contains(err.Error(), fmt.Sprintf("(reset index: %d)", boot)) {
		t.Fatalf("second bootstrap after restart: %v", fut.Response())
	}
}
