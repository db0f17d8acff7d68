package fsm

import (
	"context"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

func meshIntention(id, src, dst, action string) *structs.Intention {
	return &structs.Intention{ID: id, SourceNamespace: "default", SourceName: src,
		DestinationNamespace: "default", DestinationName: dst, Action: action}
}

func meshSplit(service string, w1, w2 int) *structs.MeshSplit {
	v := uint64(3)
	return &structs.MeshSplit{Namespace: "default", Service: service,
		Subsets: []*structs.MeshSubset{{Name: "v1", Tags: []string{"v1"}, Weight: w1}, {Name: "v2", JobVersion: &v, Weight: w2}},
		Routes: []*structs.MeshRoute{{PathPrefix: "/beta", Headers: map[string]string{"x-canary": "1"}, Subset: "v2",
			Retries: 2, Timeout: structs.Duration(3 * time.Second)}}}
}

// TestApplyMeshPolicy applies intentions and splits (upsert, replace,
// delete) through the FSM, checks what each does to the tables and their
// indexes, and that a snapshot carries both tables to a new FSM.
func TestApplyMeshPolicy(t *testing.T) {
	f := testFSM(t)
	upsert := func(idx uint64, in *structs.Intention, createOnly bool) any {
		return f.Apply(rawLog(t, idx, structs.MeshIntentionRequestType,
			&structs.MeshIntentionEntry{Op: structs.MeshOpUpsert, Intention: in, CreateOnly: createOnly}))
	}
	if res := upsert(10, meshIntention("i1", "web", "api", structs.IntentionAllow), false); res != nil {
		t.Fatal(res)
	}
	must(t, asErr(upsert(11, meshIntention("i2", "*", "api", structs.IntentionDeny), false)))

	// Same pair again with another ID replaces i1 and keeps its ID.
	must(t, asErr(upsert(12, meshIntention("i3", "web", "api", structs.IntentionDeny), false)))
	got, err := f.State().MeshIntentions(nil)
	must(t, err)
	if len(got) != 2 || got[0].ID != "i1" || got[0].Action != structs.IntentionDeny || got[0].Precedence != 9 ||
		got[0].CreateIndex != 10 || got[0].ModifyIndex != 12 || got[1].ID != "i2" || got[1].Precedence != 8 {
		t.Fatalf("after replace: %s", dumpIntentions(got))
	}
	// CreateOnly refuses an existing pair and names it.
	res := upsert(13, meshIntention("i4", "web", "api", structs.IntentionAllow), true)
	if err := asErr(res); err == nil || !strings.Contains(err.Error(), "already exists (ID i1)") {
		t.Fatalf("create-only on an existing pair: %v", res)
	}
	// An invalid intention is refused by the state too.
	if err := asErr(upsert(14, meshIntention("i5", "web", "api", "maybe"), false)); err == nil {
		t.Fatal("an intention with action maybe was applied")
	}
	if idx, _ := f.State().Index(state.TableMeshIntentions); idx != 12 {
		t.Fatalf("intentions index = %d, want 12 (refused entries write nothing)", idx)
	}

	// Splits.
	apply(t, f, 20, structs.MeshSplitRequestType, &structs.MeshSplitEntry{Op: structs.MeshOpUpsert, Split: meshSplit("api", 90, 10)})
	apply(t, f, 21, structs.MeshSplitRequestType, &structs.MeshSplitEntry{Op: structs.MeshOpUpsert, Split: meshSplit("api", 0, 100)})
	apply(t, f, 22, structs.MeshSplitRequestType, &structs.MeshSplitEntry{Op: structs.MeshOpUpsert, Split: meshSplit("web", 50, 50)})
	sp, err := f.State().MeshSplit(nil, "default", "api")
	must(t, err)
	if sp == nil || sp.Subsets[0].Weight != 0 || sp.CreateIndex != 20 || sp.ModifyIndex != 21 || *sp.Subsets[1].JobVersion != 3 {
		t.Fatalf("split after replace: %+v", sp)
	}
	bad := meshSplit("db", 60, 60)
	if err := asErr(f.Apply(rawLog(t, 23, structs.MeshSplitRequestType, &structs.MeshSplitEntry{Op: structs.MeshOpUpsert, Split: bad}))); err == nil ||
		!strings.Contains(err.Error(), "add up to 120") {
		t.Fatalf("split with weights 60+60: %v", err)
	}

	// Snapshot now, then delete: the restored FSM has what was there.
	snap, err := f.Snapshot()
	must(t, err)
	sink := &bufferSink{}
	must(t, snap.Persist(sink))
	snap.Release()
	apply(t, f, 30, structs.MeshIntentionRequestType, &structs.MeshIntentionEntry{Op: structs.MeshOpDelete, DeleteID: "i2"})
	apply(t, f, 31, structs.MeshSplitRequestType, &structs.MeshSplitEntry{Op: structs.MeshOpDelete, Namespace: "default", Service: "web"})
	if err := asErr(f.Apply(rawLog(t, 32, structs.MeshIntentionRequestType,
		&structs.MeshIntentionEntry{Op: structs.MeshOpDelete, DeleteID: "i2"}))); !structs.IsNotFound(err) {
		t.Fatalf("deleting a deleted intention: %v", err)
	}
	if left, _ := f.State().MeshIntentions(nil); len(left) != 1 || left[0].ID != "i1" {
		t.Fatalf("after delete: %s", dumpIntentions(left))
	}
	if left, _ := f.State().MeshSplits(nil, ""); len(left) != 1 || left[0].Service != "api" {
		t.Fatalf("splits after delete: %d", len(left))
	}

	f2 := testFSM(t)
	must(t, f2.Restore(io.NopCloser(sink.Reader())))
	ri, err := f2.State().MeshIntentions(nil)
	must(t, err)
	if dumpIntentions(ri) != dumpIntentions(got) {
		t.Fatalf("restored intentions:\n%s\nwant:\n%s", dumpIntentions(ri), dumpIntentions(got))
	}
	rs, err := f2.State().MeshSplits(nil, "")
	must(t, err)
	want := meshSplit("api", 0, 100)
	want.CreateIndex, want.ModifyIndex = 20, 21
	if len(rs) != 2 || !reflect.DeepEqual(rs[0], want) || rs[1].Service != "web" {
		t.Fatalf("restored splits: %+v", rs)
	}
	for tbl, idx := range map[string]uint64{state.TableMeshIntentions: 12, state.TableMeshSplits: 22} {
		if got, _ := f2.State().Index(tbl); got != idx {
			t.Errorf("restored index of %s = %d, want %d", tbl, got, idx)
		}
	}
}

// TestMeshIntentionWakesBlockingQuery: a proxy's blocking read of the
// intentions returns as soon as one is written.
func TestMeshIntentionWakesBlockingQuery(t *testing.T) {
	f := testFSM(t)
	apply(t, f, 5, structs.MeshIntentionRequestType, &structs.MeshIntentionEntry{Op: structs.MeshOpUpsert,
		Intention: meshIntention("i1", "web", "api", structs.IntentionAllow)})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	woke := make(chan uint64, 1)
	go func() {
		_, idx, _ := f.State().BlockingQuery(ctx, 5, func(ws memdb.WatchSet, s *state.StateStore) (any, uint64, error) {
			all, err := s.MeshIntentions(ws)
			if err != nil {
				return nil, 0, err
			}
			idx, err := s.Index(state.TableMeshIntentions)
			return all, idx, err
		})
		woke <- idx
	}()
	apply(t, f, 6, structs.MeshIntentionRequestType, &structs.MeshIntentionEntry{Op: structs.MeshOpUpsert,
		Intention: meshIntention("i2", "web", "api", structs.IntentionDeny)})
	select {
	case idx := <-woke:
		if idx != 6 {
			t.Fatalf("woke at index %d, want 6", idx)
		}
	case <-ctx.Done():
		t.Fatal("the blocking query did not wake on an intention write")
	}
}

func asErr(res any) error {
	err, _ := res.(error)
	return err
}

func dumpIntentions(ins []*structs.Intention) string {
	var b strings.Builder
	for _, in := range ins {
		b.WriteString(strings.Join([]string{in.ID, in.SourceNamespace, in.SourceName, in.DestinationNamespace,
			in.DestinationName, in.Action}, " "))
		b.WriteString("\n")
	}
	return b.String()
}
