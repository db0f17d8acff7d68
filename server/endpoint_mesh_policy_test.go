package server

import (
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// meshFixture is a server with ACLs, a management token, a namespace
// "prod" and tokens that may write or only read there.
type meshFixture struct {
	s                    *Server
	mgmt, writer, reader string
	other                string
}

func newMeshFixture(t *testing.T) *meshFixture {
	s := testServer(t, func(c *Config) { c.ACLEnabled = true })
	tok, err := bootstrap(t, s, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := &meshFixture{s: s, mgmt: tok.SecretID}
	ns := &structs.NamespaceUpsertRequest{Namespaces: []*structs.Namespace{{Name: "prod"}, {Name: "other"}}}
	ns.AuthToken = f.mgmt
	if err := s.RPC(structs.NamespaceUpsertRPC, ns, &structs.GenericResponse{}); err != nil {
		t.Fatal(err)
	}
	f.writer = clientToken(t, s, f.mgmt, "prod-write", `namespace "prod" { policy = "write" }`, 0)
	f.reader = clientToken(t, s, f.mgmt, "prod-read", `namespace "prod" { policy = "read" }`, 0)
	f.other = clientToken(t, s, f.mgmt, "other-write", `namespace "other" { policy = "write" }`, 0)
	return f
}

func (f *meshFixture) upsert(token string, in *structs.Intention, createOnly bool) (*structs.IntentionUpsertResponse, error) {
	req := &structs.IntentionUpsertRequest{Intention: in, CreateOnly: createOnly}
	req.AuthToken, req.Namespace = token, "prod"
	var out structs.IntentionUpsertResponse
	err := f.s.RPC(structs.MeshIntentionUpsertRPC, req, &out)
	return &out, err
}

func (f *meshFixture) list(t *testing.T, token, ns string, minIndex uint64) (*structs.IntentionListResponse, error) {
	t.Helper()
	req := &structs.IntentionListRequest{}
	req.AuthToken, req.Namespace, req.MinQueryIndex, req.MaxQueryTime = token, ns, minIndex, 20*time.Second
	var out structs.IntentionListResponse
	err := f.s.RPC(structs.MeshIntentionListRPC, req, &out)
	return &out, err
}

func (f *meshFixture) check(t *testing.T, token, src, dst string) *structs.IntentionCheckResponse {
	t.Helper()
	req := &structs.IntentionCheckRequest{SourceName: src, DestinationName: dst}
	req.AuthToken, req.Namespace = token, "prod"
	var out structs.IntentionCheckResponse
	if err := f.s.RPC(structs.MeshIntentionCheckRPC, req, &out); err != nil {
		t.Fatalf("check %s => %s: %v", src, dst, err)
	}
	return &out
}

func wantMeshDenied(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), "Permission denied") {
		t.Fatalf("%s: err = %v, want Permission denied", what, err)
	}
}

// TestMeshIntentionsRPC: create, replace, check, list (blocking, woken by
// a write), delete, with the ACL rules and the default policy.
func TestMeshIntentionsRPC(t *testing.T) {
	f := newMeshFixture(t)
	web2api := &structs.Intention{SourceName: "web", DestinationName: "api", Action: structs.IntentionAllow, Description: "web calls api"}

	// Without ACLs' right: no token, a read token, another namespace's.
	for who, tok := range map[string]string{"no token": "", "reader": f.reader, "other": f.other} {
		_, err := f.upsert(tok, web2api, false)
		wantMeshDenied(t, "create with "+who, err)
	}
	// Into any namespace needs operator write, not namespace write.
	_, err := f.upsert(f.writer, &structs.Intention{SourceName: "web", DestinationNamespace: "*", DestinationName: "*", Action: "deny"}, false)
	wantMeshDenied(t, "create into any namespace with a namespace token", err)

	// With ACLs and no mesh_default_action the default denies.
	if c := f.check(t, f.reader, "web", "api"); c.Allowed || !c.ByDefault || !strings.Contains(c.Reason, "deny because ACLs are enabled") {
		t.Fatalf("check before any intention: %+v", c)
	}

	// A blocking list waits for the write.
	first, err := f.list(t, f.reader, "prod", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Intentions) != 0 || first.DefaultAllow["prod"] {
		t.Fatalf("first list: %+v", first)
	}
	type listResult struct {
		out *structs.IntentionListResponse
		err error
		at  time.Time
	}
	woke := make(chan listResult, 1)
	go func() {
		out, err := f.list(t, f.reader, "prod", first.Index)
		woke <- listResult{out, err, time.Now()}
	}()
	created, err := f.upsert(f.writer, web2api, false)
	if err != nil {
		t.Fatal(err)
	}
	wrote := time.Now()
	in := created.Intention
	if in == nil || len(in.ID) != 36 || in.SourceNamespace != "prod" || in.DestinationNamespace != "prod" || in.Precedence != 9 {
		t.Fatalf("created: %+v", in)
	}
	select {
	case r := <-woke:
		if r.err != nil || len(r.out.Intentions) != 1 || r.out.Intentions[0].ID != in.ID || r.out.Index < created.Index {
			t.Fatalf("woken list: %+v %v", r.out, r.err)
		}
		if lag := r.at.Sub(wrote); lag > time.Second {
			t.Errorf("the blocking list returned %s after the write, want well under a second", lag)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the blocking list did not wake on the write")
	}

	if c := f.check(t, f.reader, "web", "api"); !c.Allowed || c.ByDefault || c.Intention == nil || c.Intention.ID != in.ID {
		t.Fatalf("check after allow: %+v", c)
	}
	// Create-only refuses the pair; a plain upsert replaces it, same ID.
	if _, err := f.upsert(f.writer, web2api, true); err == nil || !strings.Contains(err.Error(), "already exists (ID "+in.ID+")") {
		t.Fatalf("create-only on an existing pair: %v", err)
	}
	deny := *web2api
	deny.Action = structs.IntentionDeny
	replaced, err := f.upsert(f.writer, &deny, false)
	if err != nil || replaced.Intention.ID != in.ID || replaced.Intention.Action != structs.IntentionDeny {
		t.Fatalf("replace: %+v %v", replaced.Intention, err)
	}
	if c := f.check(t, f.reader, "web", "api"); c.Allowed || !strings.Contains(c.Reason, "denied by intention "+in.ID) {
		t.Fatalf("check after deny: %+v", c)
	}

	// Another namespace's token lists nothing of prod with "*"; a node's
	// secret lists everything (its proxies need it).
	if out, err := f.list(t, f.other, "*", 0); err != nil || len(out.Intentions) != 0 || len(out.DefaultAllow) != 1 {
		t.Fatalf("other token's list of *: %+v %v", out, err)
	}
	_, err = f.list(t, f.other, "prod", 0)
	wantMeshDenied(t, "list prod with another namespace's token", err)
	node := testNode("mesh-client", 1000, 1024)
	registerNode(t, f.s, node)
	if out, err := f.list(t, structs.NodeCredential(node.ID, testSecret(node.ID)), "*", 0); err != nil || len(out.Intentions) != 1 {
		t.Fatalf("node's list: %+v %v", out, err)
	}

	// Delete by source and destination, then by ID gives not found.
	del := &structs.IntentionDeleteRequest{SourceName: "web", DestinationName: "api"}
	del.AuthToken, del.Namespace = f.reader, "prod"
	wantMeshDenied(t, "delete with a read token", f.s.RPC(structs.MeshIntentionDeleteRPC, del, &structs.GenericResponse{}))
	del.AuthToken = f.writer
	if err := f.s.RPC(structs.MeshIntentionDeleteRPC, del, &structs.GenericResponse{}); err != nil {
		t.Fatal(err)
	}
	byID := &structs.IntentionDeleteRequest{ID: in.ID}
	byID.AuthToken, byID.Namespace = f.writer, "prod"
	if err := f.s.RPC(structs.MeshIntentionDeleteRPC, byID, &structs.GenericResponse{}); !structs.IsNotFound(err) {
		t.Fatalf("delete of a deleted intention: %v", err)
	}
}

// TestMeshIntentionValidation: a bad intention is refused with every
// problem named, and a namespace's mesh_default_action decides.
func TestMeshIntentionValidation(t *testing.T) {
	f := newMeshFixture(t)
	_, err := f.upsert(f.mgmt, &structs.Intention{SourceNamespace: "*", SourceName: "web", DestinationName: "API_1", Action: "permit"}, false)
	if !structs.IsValidation(err) {
		t.Fatalf("bad intention: %v", err)
	}
	for _, want := range []string{"a wildcard namespace needs a wildcard name", `service name "API_1" is invalid`, `"permit" is invalid: use "allow" or "deny"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	_, err = f.upsert(f.mgmt, &structs.Intention{SourceName: "web", DestinationNamespace: "nowhere", DestinationName: "api", Action: "allow"}, false)
	if !structs.IsValidation(err) || !strings.Contains(err.Error(), `namespace "nowhere" does not exist`) {
		t.Fatalf("intention into an unknown namespace: %v", err)
	}

	ns := &structs.NamespaceUpsertRequest{Namespaces: []*structs.Namespace{{Name: "prod", MeshDefaultAction: "allow"}}}
	ns.AuthToken = f.mgmt
	if err := f.s.RPC(structs.NamespaceUpsertRPC, ns, &structs.GenericResponse{}); err != nil {
		t.Fatal(err)
	}
	if c := f.check(t, f.reader, "web", "api"); !c.Allowed || !c.ByDefault || !strings.Contains(c.Reason, "mesh_default_action") {
		t.Fatalf("check with mesh_default_action allow: %+v", c)
	}
	ns.Namespaces[0].MeshDefaultAction = "sometimes"
	if err := f.s.RPC(structs.NamespaceUpsertRPC, ns, &structs.GenericResponse{}); err == nil || !strings.Contains(err.Error(), `mesh_default_action "sometimes" is invalid`) {
		t.Fatalf("namespace with a bad mesh_default_action: %v", err)
	}
}

// TestMeshSplitsRPC: validation that reads well, ACLs, blocking list.
func TestMeshSplitsRPC(t *testing.T) {
	f := newMeshFixture(t)
	v := uint64(3)
	split := &structs.MeshSplit{Service: "api", Subsets: []*structs.MeshSubset{
		{Name: "v1", Tags: []string{"v1"}, Weight: 90}, {Name: "v2", JobVersion: &v, Weight: 10}},
		Routes: []*structs.MeshRoute{{PathPrefix: "/beta", Subset: "v2", Retries: 2}}}
	up := func(token string, sp *structs.MeshSplit) error {
		req := &structs.SplitUpsertRequest{Split: sp}
		req.AuthToken, req.Namespace = token, "prod"
		return f.s.RPC(structs.MeshSplitUpsertRPC, req, &structs.GenericResponse{})
	}
	wantMeshDenied(t, "split with a read token", up(f.reader, split))
	wantMeshDenied(t, "split with another namespace's token", up(f.other, split))

	bad := &structs.MeshSplit{Service: "api", Subsets: []*structs.MeshSubset{{Name: "v1", Weight: 70}, {Name: "v1", Weight: 20}},
		Routes: []*structs.MeshRoute{{Subset: "v3"}}}
	err := up(f.writer, bad)
	if !structs.IsValidation(err) {
		t.Fatalf("bad split: %v", err)
	}
	for _, want := range []string{"names must be unique", "weights add up to 90: they must add up to 100", `subset "v3" is not defined`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}

	list := func(token, ns string, minIndex uint64) (*structs.SplitListResponse, error) {
		req := &structs.SplitListRequest{}
		req.AuthToken, req.Namespace, req.MinQueryIndex, req.MaxQueryTime = token, ns, minIndex, 20*time.Second
		var out structs.SplitListResponse
		return &out, f.s.RPC(structs.MeshSplitListRPC, req, &out)
	}
	first, err := list(f.reader, "prod", 0)
	if err != nil || len(first.Splits) != 0 {
		t.Fatalf("first list: %+v %v", first, err)
	}
	woke := make(chan *structs.SplitListResponse, 1)
	go func() {
		out, _ := list(f.reader, "prod", first.Index)
		woke <- out
	}()
	if err := up(f.writer, split); err != nil {
		t.Fatal(err)
	}
	select {
	case out := <-woke:
		if len(out.Splits) != 1 || out.Splits[0].Namespace != "prod" || out.Splits[0].Subsets[0].Weight != 90 {
			t.Fatalf("woken list: %+v", out)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the blocking split list did not wake on the write")
	}
	_, err = list(f.other, "prod", 0)
	wantMeshDenied(t, "list prod splits with another namespace's token", err)

	del := &structs.SplitDeleteRequest{Service: "api"}
	del.AuthToken, del.Namespace = f.writer, "prod"
	if err := f.s.RPC(structs.MeshSplitDeleteRPC, del, &structs.GenericResponse{}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.RPC(structs.MeshSplitDeleteRPC, del, &structs.GenericResponse{}); !structs.IsNotFound(err) {
		t.Fatalf("second delete: %v", err)
	}
}
