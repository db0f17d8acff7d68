package fsm

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"
)

func testFSM(t testing.TB) *FSM {
	t.Helper()
	f, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func encode(t testing.TB, typ structs.MessageType, msg any) []byte {
	t.Helper()
	b, err := structs.Encode(typ, msg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// apply applies one entry at index and fails the test on an error result.
func apply(t testing.TB, f *FSM, index uint64, typ structs.MessageType, msg any) {
	t.Helper()
	if resp := f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: encode(t, typ, msg)}); resp != nil {
		t.Fatalf("apply type %d at %d: %v", typ, index, resp)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mockJob(id, typ string) *structs.Job {
	j := &structs.Job{ID: id, Type: typ, SubmitTime: 1000, Groups: []*structs.TaskGroup{{
		Name: "web", Count: 1,
		Tasks: []*structs.Task{{Name: "server", Driver: "exec",
			Config: map[string]any{"command": "/bin/sleep", "args": []any{"10"}}}},
	}}}
	j.Canonicalize()
	return j
}

func mockEval(id string, job *structs.Job, status string) *structs.Evaluation {
	return &structs.Evaluation{ID: id, Namespace: job.Namespace, Priority: job.Priority, Type: job.Type,
		TriggeredBy: structs.EvalTriggerJobRegister, JobID: job.ID, Status: status, CreateTime: 5, ModifyTime: 5}
}

func mockNode(id string) *structs.Node {
	return &structs.Node{ID: id, Name: "node-" + id, Datacenter: "dc1", Status: structs.NodeStatusReady,
		Resources: &structs.NodeResources{CPU: 4000, Cores: 4, MemoryMB: 8192}}
}

func mockAlloc(id string, job *structs.Job, nodeID string, idx int) *structs.Allocation {
	return &structs.Allocation{ID: id, Namespace: job.Namespace, EvalID: "e1", JobID: job.ID,
		Name: structs.AllocName(job.ID, "web", idx), NodeID: nodeID, NodeName: "node-" + nodeID,
		TaskGroup: "web", Resources: &structs.Resources{CPU: 100, MemoryMB: 64},
		DesiredStatus: structs.AllocDesiredRun, ClientStatus: structs.AllocClientPending}
}

type recorder struct {
	mu       sync.Mutex
	evals    []*structs.Evaluation
	capacity []uint64
}

func (r *recorder) EvalsUpserted(evals []*structs.Evaluation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evals = append(r.evals, evals...)
}

func (r *recorder) CapacityChanged(index uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.capacity = append(r.capacity, index)
}

func (r *recorder) take() ([]*structs.Evaluation, []uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, c := r.evals, r.capacity
	r.evals, r.capacity = nil, nil
	return e, c
}

func jobOf(t *testing.T, f *FSM, id string) *structs.Job {
	t.Helper()
	j, err := f.State().JobByID(nil, "default", id)
	must(t, err)
	if j == nil {
		t.Fatalf("job %q missing", id)
	}
	return j
}

func TestApplyServiceJobLifecycle(t *testing.T) {
	f := testFSM(t)
	rec := &recorder{}
	f.SetListener(rec)

	apply(t, f, 1, structs.NodeRegisterRequestType, &structs.NodeRegisterEntry{Node: mockNode("n1")})
	if n, _ := f.State().NodeByID(nil, "n1"); n == nil || n.CreateIndex != 1 {
		t.Fatalf("node not registered: %+v", n)
	}
	if _, capa := rec.take(); fmt.Sprint(capa) != "[1]" {
		t.Fatalf("capacity notifications after node register: %v", capa)
	}

	job := mockJob("web", structs.JobTypeService)
	apply(t, f, 2, structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: job, Eval: mockEval("e1", job, structs.EvalStatusPending)})
	j := jobOf(t, f, "web")
	if j.Version != 0 || j.Status != structs.JobStatusPending || j.JobModifyIndex != 2 || j.SubmitTime != 1000 {
		t.Fatalf("registered job: %+v", j)
	}
	evals, capa := rec.take()
	if len(evals) != 1 || evals[0].ID != "e1" || evals[0].CreateIndex != 2 || evals[0].ModifyIndex != 2 || len(capa) != 0 {
		t.Fatalf("listener after job register: evals %+v capacity %v", evals, capa)
	}

	// Re-registering the same spec keeps the version; a change bumps it.
	apply(t, f, 3, structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: mockJob("web", structs.JobTypeService)})
	if j := jobOf(t, f, "web"); j.Version != 0 || j.JobModifyIndex != 2 {
		t.Fatalf("same spec re-registered: version %d job-modify %d", j.Version, j.JobModifyIndex)
	}
	changed := mockJob("web", structs.JobTypeService)
	changed.Groups[0].Tasks[0].Config["args"] = []any{"20"}
	apply(t, f, 4, structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: changed})
	if j := jobOf(t, f, "web"); j.Version != 1 || j.JobModifyIndex != 4 {
		t.Fatalf("changed spec: version %d job-modify %d", j.Version, j.JobModifyIndex)
	}

	apply(t, f, 5, structs.ApplyPlanResultsRequestType, &structs.ApplyPlanResultsEntry{
		AllocsPlaced: []*structs.Allocation{mockAlloc("a1", job, "n1", 0)}, EvalID: "e1", Time: 500})
	apply(t, f, 6, structs.EvalUpdateRequestType, &structs.EvalUpdateEntry{Evals: []*structs.Evaluation{mockEval("e1", job, structs.EvalStatusComplete)}})
	if e, _ := f.State().EvalByID(nil, "e1"); e.Status != structs.EvalStatusComplete || e.CreateIndex != 2 || e.ModifyIndex != 6 {
		t.Fatalf("eval update: %+v", e)
	}
	apply(t, f, 7, structs.AllocClientUpdateRequestType, &structs.AllocClientUpdateEntry{Allocs: []*structs.AllocStatusUpdate{
		{ID: "a1", ClientStatus: structs.AllocClientRunning, ModifyTime: 700}}})
	a, _ := f.State().AllocByID(nil, "a1")
	if a.ClientStatus != structs.AllocClientRunning || a.AllocModifyIndex != 5 || a.ModifyIndex != 7 {
		t.Fatalf("client update must not bump AllocModifyIndex: %+v", a)
	}
	if j := jobOf(t, f, "web"); j.Status != structs.JobStatusRunning {
		t.Fatalf("job with a running alloc: %q", j.Status)
	}
	if _, capa := rec.take(); len(capa) != 0 {
		t.Fatalf("capacity notified without freed capacity: %v", capa)
	}

	// Stop: the job stays running until its allocation is stopped.
	dereg := mockEval("e2", job, structs.EvalStatusPending)
	dereg.TriggeredBy = structs.EvalTriggerJobDeregister
	apply(t, f, 8, structs.JobDeregisterRequestType, &structs.JobDeregisterEntry{Namespace: "default", JobID: "web", Eval: dereg, Time: 800})
	if j := jobOf(t, f, "web"); !j.Stop || j.Version != 2 || j.Status != structs.JobStatusRunning {
		t.Fatalf("stopped job: %+v", j)
	}
	apply(t, f, 9, structs.ApplyPlanResultsRequestType, &structs.ApplyPlanResultsEntry{
		AllocsStopped: []*structs.Allocation{{ID: "a1", DesiredStatus: structs.AllocDesiredStop, DesiredDescription: "job stopped"}},
		EvalID:        "e2", Time: 900})
	if j := jobOf(t, f, "web"); j.Status != structs.JobStatusDead || j.ModifyIndex != 9 || j.JobModifyIndex != 8 {
		t.Fatalf("stopped job after its allocs stopped: %+v", j)
	}
	if _, capa := rec.take(); fmt.Sprint(capa) != "[9]" {
		t.Fatalf("capacity after plan stop: %v", capa)
	}

	// Garbage collection, purge and node removal.
	apply(t, f, 10, structs.EvalDeleteRequestType, &structs.EvalDeleteEntry{Evals: []string{"e1", "e2"}, Allocs: []string{"a1"}})
	if all, _ := f.State().Allocs(nil); len(all) != 0 {
		t.Fatalf("allocs after gc: %d", len(all))
	}
	apply(t, f, 11, structs.JobDeregisterRequestType, &structs.JobDeregisterEntry{Namespace: "default", JobID: "web", Purge: true})
	if j, _ := f.State().JobByID(nil, "default", "web"); j != nil {
		t.Fatal("purged job still present")
	}
	apply(t, f, 12, structs.NodeDeregisterRequestType, &structs.NodeDeregisterEntry{NodeIDs: []string{"n1"}})
	if n, _ := f.State().NodeByID(nil, "n1"); n != nil {
		t.Fatal("deregistered node still present")
	}
	if idx, _ := f.State().LatestIndex(); idx != 12 {
		t.Fatalf("latest index = %d, want 12", idx)
	}
}

func TestApplyBatchJobCompletes(t *testing.T) {
	f := testFSM(t)
	rec := &recorder{}
	f.SetListener(rec)
	job := mockJob("report", structs.JobTypeBatch)
	apply(t, f, 1, structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: job, Eval: mockEval("e1", job, structs.EvalStatusPending)})
	apply(t, f, 2, structs.ApplyPlanResultsRequestType, &structs.ApplyPlanResultsEntry{
		AllocsPlaced: []*structs.Allocation{mockAlloc("a1", job, "n1", 0)}, Time: 2})
	apply(t, f, 3, structs.EvalUpdateRequestType, &structs.EvalUpdateEntry{Evals: []*structs.Evaluation{mockEval("e1", job, structs.EvalStatusComplete)}})
	if j := jobOf(t, f, "report"); j.Status != structs.JobStatusRunning {
		t.Fatalf("batch placed: %q", j.Status)
	}
	rec.take()
	exit := 0
	apply(t, f, 4, structs.AllocClientUpdateRequestType, &structs.AllocClientUpdateEntry{Allocs: []*structs.AllocStatusUpdate{{
		ID: "a1", ClientStatus: structs.AllocClientComplete, ModifyTime: 40,
		TaskStates: map[string]*structs.TaskState{"server": {State: structs.TaskStateDead, ExitCode: &exit, FinishedAt: 40}},
	}}})
	if j := jobOf(t, f, "report"); j.Status != structs.JobStatusDead || j.ModifyIndex != 4 {
		t.Fatalf("batch complete: %+v", j)
	}
	a, _ := f.State().AllocByID(nil, "a1")
	if ts := a.TaskStates["server"]; ts == nil || *ts.ExitCode != 0 || ts.FinishedAt != 40 {
		t.Fatalf("task state not stored: %+v", a.TaskStates)
	}
	if _, capa := rec.take(); fmt.Sprint(capa) != "[4]" {
		t.Fatalf("capacity after alloc completed: %v", capa)
	}
	// A repeated terminal report frees nothing more.
	apply(t, f, 5, structs.AllocClientUpdateRequestType, &structs.AllocClientUpdateEntry{Allocs: []*structs.AllocStatusUpdate{{
		ID: "a1", ClientStatus: structs.AllocClientComplete, ModifyTime: 50}}})
	if _, capa := rec.take(); len(capa) != 0 {
		t.Fatalf("capacity notified twice: %v", capa)
	}
}

func TestApplyNodeStatusAndEvals(t *testing.T) {
	f := testFSM(t)
	rec := &recorder{}
	n := mockNode("n1")
	n.Status = structs.NodeStatusInit
	apply(t, f, 1, structs.NodeRegisterRequestType, &structs.NodeRegisterEntry{Node: n})
	f.SetListener(rec)
	job := mockJob("web", structs.JobTypeService)
	ev := mockEval("e-node", job, structs.EvalStatusPending)
	ev.TriggeredBy = structs.EvalTriggerNodeUpdate
	apply(t, f, 2, structs.NodeUpdateStatusRequestType, &structs.NodeStatusEntry{NodeID: "n1", Status: structs.NodeStatusReady, UpdatedAt: 22, Evals: []*structs.Evaluation{ev}})
	got, _ := f.State().NodeByID(nil, "n1")
	if got.Status != structs.NodeStatusReady || got.StatusUpdatedAt != 22 || got.ModifyIndex != 2 {
		t.Fatalf("node status: %+v", got)
	}
	evals, capa := rec.take()
	if len(evals) != 1 || evals[0].ID != "e-node" || fmt.Sprint(capa) != "[2]" {
		t.Fatalf("listener: evals %v capacity %v", evals, capa)
	}
	// Still ready (heartbeat): no capacity change. Listener removed: no calls.
	apply(t, f, 3, structs.NodeUpdateStatusRequestType, &structs.NodeStatusEntry{NodeID: "n1", Status: structs.NodeStatusReady, UpdatedAt: 33})
	if _, capa := rec.take(); len(capa) != 0 {
		t.Fatalf("heartbeat reported capacity: %v", capa)
	}
	f.SetListener(nil)
	apply(t, f, 4, structs.NodeUpdateStatusRequestType, &structs.NodeStatusEntry{NodeID: "n1", Status: structs.NodeStatusDown, UpdatedAt: 44})
	apply(t, f, 5, structs.NodeUpdateStatusRequestType, &structs.NodeStatusEntry{NodeID: "n1", Status: structs.NodeStatusReady, UpdatedAt: 55})
	if e, c := rec.take(); len(e)+len(c) != 0 {
		t.Fatal("removed listener was called")
	}
}

func TestApplyErrorsAndUnknownTypes(t *testing.T) {
	f := testFSM(t)
	// A rejected entry returns an error and writes nothing.
	resp := f.Apply(&raft.Log{Index: 1, Data: encode(t, structs.NodeUpdateStatusRequestType,
		&structs.NodeStatusEntry{NodeID: "nope", Status: structs.NodeStatusDown})})
	if err, ok := resp.(error); !ok || !structs.IsNotFound(err) || !strings.Contains(err.Error(), "index 1") {
		t.Fatalf("status of an unknown node: %v", resp)
	}
	if resp := f.Apply(&raft.Log{Index: 2, Data: []byte{byte(structs.JobRegisterRequestType), 0xc1}}); resp == nil {
		t.Fatal("garbage body applied without error")
	}
	if resp := f.Apply(&raft.Log{Index: 3}); resp == nil {
		t.Fatal("empty entry applied without error")
	}
	if resp := f.Apply(&raft.Log{Index: 4, Data: encode(t, structs.JobRegisterRequestType, &structs.JobRegisterEntry{})}); resp == nil {
		t.Fatal("job register without a job applied")
	}
	// Unknown but ignorable: skipped.
	if resp := f.Apply(&raft.Log{Index: 5, Data: []byte{byte(structs.IgnoreUnknownTypeFlag | 100), 0xc0}}); resp != nil {
		t.Fatalf("ignorable entry: %v", resp)
	}
	// A known type with the ignore flag is still applied.
	apply(t, f, 6, structs.NodeRegisterRequestType|structs.IgnoreUnknownTypeFlag, &structs.NodeRegisterEntry{Node: mockNode("n1")})
	if n, _ := f.State().NodeByID(nil, "n1"); n == nil {
		t.Fatal("flagged known entry was not applied")
	}
	// Unknown and not ignorable: the server must stop.
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "unknown type 100") {
			t.Fatalf("unknown entry type: recovered %v, want a panic naming the type", r)
		}
	}()
	f.Apply(&raft.Log{Index: 7, Data: []byte{100, 0xc0}})
}

func TestBlockingQueryWakesOnApply(t *testing.T) {
	f := testFSM(t)
	apply(t, f, 1, structs.NodeRegisterRequestType, &structs.NodeRegisterEntry{Node: mockNode("n1")})
	query := func(ws memdb.WatchSet, s *state.StateStore) (any, uint64, error) {
		allocs, err := s.AllocsByNode(ws, "n1")
		if err != nil {
			return nil, 0, err
		}
		idx, err := s.MaxIndex(state.TableAllocs, state.TableNodes)
		return allocs, idx, err
	}

	// Nothing changes: the query returns its last result when ctx ends.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	resp, idx, err := f.State().BlockingQuery(ctx, 1, query)
	cancel()
	if err != nil || idx != 1 || len(resp.([]*structs.Allocation)) != 0 {
		t.Fatalf("timed-out query: %v %d %v", resp, idx, err)
	}

	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type result struct {
		resp any
		idx  uint64
	}
	done := make(chan result, 1)
	go func() {
		r, i, _ := f.State().BlockingQuery(ctx, 1, query)
		done <- result{r, i}
	}()
	job := mockJob("web", structs.JobTypeService)
	apply(t, f, 2, structs.ApplyPlanResultsRequestType, &structs.ApplyPlanResultsEntry{
		AllocsPlaced: []*structs.Allocation{mockAlloc("a1", job, "n1", 0)}, Time: 2})
	select {
	case r := <-done:
		if r.idx != 2 || len(r.resp.([]*structs.Allocation)) != 1 {
			t.Fatalf("woken query: index %d resp %v", r.idx, r.resp)
		}
	case <-ctx.Done():
		t.Fatal("blocking query did not wake on apply")
	}
}

// dumpState renders every table through the public API, indexes and job
// versions included.
func dumpState(t *testing.T, s *state.StateStore) string {
	t.Helper()
	var b strings.Builder
	write := func(label string, v any) {
		j, err := json.Marshal(v)
		must(t, err)
		fmt.Fprintf(&b, "%s: %s\n", label, j)
	}
	jobs, err := s.Jobs(nil)
	must(t, err)
	write("jobs", jobs)
	for _, j := range jobs {
		vs, err := s.JobVersionsByID(nil, j.Namespace, j.ID)
		must(t, err)
		write("versions "+j.ID, vs)
	}
	allocs, err := s.Allocs(nil)
	must(t, err)
	write("allocs", allocs)
	evals, err := s.Evals(nil)
	must(t, err)
	write("evals", evals)
	nodes, err := s.Nodes(nil)
	must(t, err)
	write("nodes", nodes)
	for _, tbl := range []string{state.TableJobs, state.TableJobVersions, state.TableAllocs, state.TableEvals, state.TableNodes} {
		idx, err := s.Index(tbl)
		must(t, err)
		write("index "+tbl, idx)
	}
	return b.String()
}
