package fsm

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"
)

// bufferSink is a raft.SnapshotSink in memory.
type bufferSink struct {
	bytes.Buffer
	closed, cancelled bool
}

func (s *bufferSink) ID() string        { return "test" }
func (s *bufferSink) Cancel() error     { s.cancelled = true; return nil }
func (s *bufferSink) Close() error      { s.closed = true; return nil }
func (s *bufferSink) Reader() io.Reader { return bytes.NewReader(s.Bytes()) }

// populate applies a little of everything: nodes, two job versions, a
// stopped batch job, evaluations, allocations with task states.
func populate(t testing.TB, f *FSM) uint64 {
	idx := uint64(0)
	next := func() uint64 { idx++; return idx }
	for i := 0; i < 3; i++ {
		apply(t, f, next(), structs.NodeRegisterRequestType, &structs.NodeRegisterEntry{Node: mockNode(fmt.Sprintf("n%d", i))})
	}
	web := mockJob("web", structs.JobTypeService)
	apply(t, f, next(), structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: web, Eval: mockEval("e1", web, structs.EvalStatusPending)})
	web2 := mockJob("web", structs.JobTypeService)
	web2.Groups[0].Count = 3
	apply(t, f, next(), structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: web2, Eval: mockEval("e2", web2, structs.EvalStatusPending)})
	var placed []*structs.Allocation
	for i := 0; i < 3; i++ {
		placed = append(placed, mockAlloc(fmt.Sprintf("a%d", i), web2, fmt.Sprintf("n%d", i), i))
	}
	apply(t, f, next(), structs.ApplyPlanResultsRequestType, &structs.ApplyPlanResultsEntry{AllocsPlaced: placed, EvalID: "e2", Time: 10})
	code := 1
	apply(t, f, next(), structs.AllocClientUpdateRequestType, &structs.AllocClientUpdateEntry{Allocs: []*structs.AllocStatusUpdate{
		{ID: "a0", ClientStatus: structs.AllocClientRunning, ModifyTime: 11},
		{ID: "a1", ClientStatus: structs.AllocClientFailed, ModifyTime: 12, TaskStates: map[string]*structs.TaskState{
			"server": {State: structs.TaskStateDead, Failed: true, ExitCode: &code,
				Events: []*structs.TaskEvent{{Type: structs.TaskEventTerminated, Time: 12, ExitCode: &code}}}}},
	}})
	batch := mockJob("report", structs.JobTypeBatch)
	apply(t, f, next(), structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: batch, Eval: mockEval("e3", batch, structs.EvalStatusComplete)})
	apply(t, f, next(), structs.JobDeregisterRequestType, &structs.JobDeregisterEntry{Namespace: "default", JobID: "report", Time: 20})
	apply(t, f, next(), structs.NodeUpdateStatusRequestType, &structs.NodeStatusEntry{NodeID: "n2", Status: structs.NodeStatusDown, UpdatedAt: 30})
	return idx
}

func TestFSMSnapshotRestore(t *testing.T) {
	f := testFSM(t)
	last := populate(t, f)
	snap, err := f.Snapshot()
	must(t, err)
	// Writes after the snapshot are not in it.
	apply(t, f, last+1, structs.NodeDeregisterRequestType, &structs.NodeDeregisterEntry{NodeIDs: []string{"n0"}})
	sink := &bufferSink{}
	must(t, snap.Persist(sink))
	snap.Release()
	if !sink.closed || sink.cancelled {
		t.Fatalf("sink closed=%v cancelled=%v", sink.closed, sink.cancelled)
	}

	// Restore into an FSM that already holds other data and has a blocking
	// query running: the query moves to the restored store.
	f2 := testFSM(t)
	apply(t, f2, 1, structs.NodeRegisterRequestType, &structs.NodeRegisterEntry{Node: mockNode("other")})
	oldStore := f2.State()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	woke := make(chan uint64, 1)
	go func() {
		_, idx, _ := oldStore.BlockingQuery(ctx, 1, func(ws memdb.WatchSet, s *state.StateStore) (any, uint64, error) {
			n, err := s.NodeByID(ws, "n0")
			if err != nil {
				return nil, 0, err
			}
			idx, err := s.Index(state.TableNodes)
			return n, idx, err
		})
		woke <- idx
	}()
	must(t, f2.Restore(io.NopCloser(sink.Reader())))

	select {
	case <-oldStore.AbandonCh():
	default:
		t.Fatal("old store was not abandoned")
	}
	select {
	case idx := <-woke:
		if idx <= 1 {
			t.Fatalf("blocking query index after restore = %d", idx)
		}
	case <-ctx.Done():
		t.Fatal("blocking query did not wake on restore")
	}

	// Compare against the state as it was at snapshot time.
	want := testFSM(t)
	populate(t, want)
	if w, g := dumpState(t, want.State()), dumpState(t, f2.State()); w != g {
		t.Fatalf("restored state differs:\nwant:\n%s\ngot:\n%s", w, g)
	}
	if n, _ := f2.State().NodeByID(nil, "other"); n != nil {
		t.Fatal("restore kept data that was not in the snapshot")
	}
	vs, _ := f2.State().JobVersionsByID(nil, "default", "web")
	if len(vs) != 2 || vs[0].Version != 1 {
		t.Fatalf("restored versions: %d", len(vs))
	}
	// The restored FSM keeps applying.
	apply(t, f2, last+1, structs.NodeDeregisterRequestType, &structs.NodeDeregisterEntry{NodeIDs: []string{"n0"}})
	if w, g := dumpState(t, f.State()), dumpState(t, f2.State()); w != g {
		t.Fatalf("after one more entry the FSMs differ:\nwant:\n%s\ngot:\n%s", w, g)
	}
}

func TestFSMRestoreRejectsGarbage(t *testing.T) {
	f := testFSM(t)
	apply(t, f, 1, structs.NodeRegisterRequestType, &structs.NodeRegisterEntry{Node: mockNode("n1")})
	before := f.State()
	if err := f.Restore(io.NopCloser(bytes.NewReader([]byte("garbage")))); err == nil {
		t.Fatal("garbage snapshot restored")
	}
	if f.State() != before || before.Abandoned() {
		t.Fatal("a failed restore replaced the state")
	}
}

// failingSink fails every write.
type failingSink struct{ bufferSink }

func (s *failingSink) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestFSMSnapshotPersistFailureCancels(t *testing.T) {
	f := testFSM(t)
	populate(t, f)
	snap, err := f.Snapshot()
	must(t, err)
	sink := &failingSink{}
	if err := snap.Persist(sink); err == nil {
		t.Fatal("persist into a failing sink succeeded")
	}
	if !sink.cancelled || sink.closed {
		t.Fatalf("failing sink: cancelled=%v closed=%v", sink.cancelled, sink.closed)
	}
}

var _ raft.SnapshotSink = (*bufferSink)(nil)
