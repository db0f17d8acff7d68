package command

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appmesh/appmesh/command/agent"
	"github.com/appmesh/appmesh/structs"
	"github.com/mitchellh/cli"
)

// fakeCluster is an in-memory stand-in for the servers behind the real HTTP
// API handlers: it answers the RPCs from maps and supports blocking queries,
// so that the commands run against the genuine HTTP layer.
type fakeCluster struct {
	mu      sync.Mutex
	index   uint64
	changed chan struct{} // closed and replaced on every write
	jobs    map[string]*structs.Job
	allocs  map[string]*structs.Allocation
	evals   map[string]*structs.Evaluation
	nodes   map[string]*structs.Node
	logs    map[string]string // "allocID/task/type" → content

	lastRegister *structs.JobRegisterRequest

	// schedule plays the scheduler on register: it returns the evaluation
	// and the allocations to store. Called with mu held.
	schedule func(job *structs.Job, evalID string) (*structs.Evaluation, []*structs.Allocation)
}

func newFakeCluster(t *testing.T) (*fakeCluster, *cli.MockUi) {
	t.Helper()
	f := &fakeCluster{
		index: 1, changed: make(chan struct{}),
		jobs: map[string]*structs.Job{}, allocs: map[string]*structs.Allocation{},
		evals: map[string]*structs.Evaluation{}, nodes: map[string]*structs.Node{},
		logs: map[string]string{},
	}
	f.schedule = f.placeRunning
	srv := httptest.NewServer(agent.NewHTTPServer(nil, f, nil).Handler())
	t.Cleanup(srv.Close)
	t.Setenv("APPMESH_ADDR", srv.URL)
	t.Setenv("APPMESH_TOKEN", "")
	return f, cli.NewMockUi()
}

// placeRunning is the default scheduler: every allocation placed and running.
func (f *fakeCluster) placeRunning(job *structs.Job, evalID string) (*structs.Evaluation, []*structs.Allocation) {
	eval := &structs.Evaluation{ID: evalID, JobID: job.ID, Status: structs.EvalStatusComplete,
		TriggeredBy: structs.EvalTriggerJobRegister}
	var allocs []*structs.Allocation
	for _, g := range job.Groups {
		for i := 0; i < g.Count; i++ {
			allocs = append(allocs, &structs.Allocation{
				ID: structs.GenerateID(), EvalID: evalID, JobID: job.ID, TaskGroup: g.Name,
				Name: structs.AllocName(job.ID, g.Name, i), NodeID: "node-1", NodeName: "node1",
				DesiredStatus: structs.AllocDesiredRun, ClientStatus: structs.AllocClientRunning,
				CreateTime: time.Now().UnixNano(),
			})
		}
	}
	return eval, allocs
}

// write applies fn under the lock, bumps the index and wakes blocked reads.
func (f *fakeCluster) write(fn func(index uint64)) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.index++
	fn(f.index)
	close(f.changed)
	f.changed = make(chan struct{})
	return f.index
}

// read waits while the index is not above min (a blocking query), then
// runs fn under the lock.
func (f *fakeCluster) read(q *structs.QueryOptions, meta *structs.QueryMeta, fn func()) {
	wait := q.MaxQueryTime
	if wait <= 0 {
		wait = time.Second
	}
	deadline := time.After(wait)
	for {
		f.mu.Lock()
		if q.MinQueryIndex < f.index {
			fn()
			meta.Index, meta.KnownLeader = f.index, true
			f.mu.Unlock()
			return
		}
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			q.MinQueryIndex = 0
		}
	}
}

func (f *fakeCluster) Self() map[string]any { return map[string]any{"version": "test"} }

func (f *fakeCluster) StreamLogs(ctx context.Context, allocID, task, logType string, follow bool, offset int64, w io.Writer) error {
	f.mu.Lock()
	content, ok := f.logs[allocID+"/"+task+"/"+logType]
	f.mu.Unlock()
	if !ok {
		return fmt.Errorf("task %q of allocation %q not found", task, allocID)
	}
	switch {
	case offset == agent.LogOffsetEnd:
		content = ""
	case offset < 0 && int(-offset) < len(content):
		content = content[len(content)+int(offset):]
	case offset > 0:
		content = content[min(int(offset), len(content)):]
	}
	_, err := io.WriteString(w, content)
	return err
}

func (f *fakeCluster) RPC(method string, args, reply any) error {
	switch method {
	case structs.JobRegisterRPC:
		return f.register(args.(*structs.JobRegisterRequest), reply.(*structs.JobRegisterResponse))
	case structs.JobDeregisterRPC:
		return f.deregister(args.(*structs.JobDeregisterRequest), reply.(*structs.JobDeregisterResponse))
	case structs.StatusLeaderRPC:
		*reply.(*string) = "127.0.0.1:6061"
		return nil
	case structs.StatusPeersRPC:
		reply.(*structs.StatusPeersResponse).Peers = []string{"127.0.0.1:6061"}
		return nil
	}
	return f.readRPC(method, args, reply)
}

func (f *fakeCluster) readRPC(method string, args, reply any) error {
	switch method {
	case structs.JobListRPC:
		a, out := args.(*structs.JobListRequest), reply.(*structs.JobListResponse)
		f.read(&a.QueryOptions, &out.QueryMeta, func() { out.Jobs = f.jobStubs(a.Prefix) })
	case structs.JobGetJobRPC:
		a, out := args.(*structs.JobSpecificRequest), reply.(*structs.SingleJobResponse)
		f.read(&a.QueryOptions, &out.QueryMeta, func() { out.Job = f.jobs[a.JobID] })
	case structs.JobAllocationsRPC:
		a, out := args.(*structs.JobSpecificRequest), reply.(*structs.JobAllocationsResponse)
		f.read(&a.QueryOptions, &out.QueryMeta, func() {
			out.Allocations = f.allocStubs(func(x *structs.Allocation) bool { return x.JobID == a.JobID })
		})
	case structs.JobEvaluationsRPC:
		a, out := args.(*structs.JobSpecificRequest), reply.(*structs.JobEvaluationsResponse)
		f.read(&a.QueryOptions, &out.QueryMeta, func() {
			for _, e := range f.evals {
				if e.JobID == a.JobID {
					out.Evaluations = append(out.Evaluations, e.Copy())
				}
			}
		})
	case structs.EvalGetEvalRPC:
		a, out := args.(*structs.EvalSpecificRequest), reply.(*structs.SingleEvalResponse)
		f.read(&a.QueryOptions, &out.QueryMeta, func() { out.Eval = f.evals[a.EvalID].Copy() })
	case structs.AllocListRPC:
		a, out := args.(*structs.AllocListRequest), reply.(*structs.AllocListResponse)
		f.read(&a.QueryOptions, &out.QueryMeta, func() {
			out.Allocations = f.allocStubs(func(x *structs.Allocation) bool { return strings.HasPrefix(x.ID, a.Prefix) })
		})
	case structs.AllocGetAllocRPC:
		a, out := args.(*structs.AllocSpecificRequest), reply.(*structs.SingleAllocResponse)
		f.read(&a.QueryOptions, &out.QueryMeta, func() { out.Alloc = f.allocs[a.AllocID].Copy() })
	case structs.NodeListRPC:
		a, out := args.(*structs.NodeListRequest), reply.(*structs.NodeListResponse)
		f.read(&a.QueryOptions, &out.QueryMeta, func() {
			for _, n := range f.nodes {
				out.Nodes = append(out.Nodes, n.Stub())
			}
		})
	case structs.NodeGetNodeRPC:
		a, out := args.(*structs.NodeSpecificRequest), reply.(*structs.SingleNodeResponse)
		f.read(&a.QueryOptions, &out.QueryMeta, func() { out.Node = f.nodes[a.NodeID].Copy() })
	case structs.ACLAuthorizeRPC:
		return nil // a cluster without ACLs allows everything
	default:
		return fmt.Errorf("fake cluster: unexpected RPC %s: the command tests call only the methods above", method)
	}
	return nil
}

func (f *fakeCluster) register(a *structs.JobRegisterRequest, out *structs.JobRegisterResponse) error {
	evalID := structs.GenerateID()
	out.Index = f.write(func(index uint64) {
		f.lastRegister = a
		job := a.Job.Copy()
		job.Status, job.JobModifyIndex, job.SubmitTime = structs.JobStatusRunning, index, time.Now().UnixNano()
		f.jobs[job.ID] = job
		eval, allocs := f.schedule(job, evalID)
		eval.CreateIndex = index
		f.evals[eval.ID] = eval
		for _, x := range allocs {
			x.CreateIndex = index
			f.allocs[x.ID] = x
		}
	})
	out.EvalID, out.JobModifyIndex = evalID, out.Index
	return nil
}

func (f *fakeCluster) deregister(a *structs.JobDeregisterRequest, out *structs.JobDeregisterResponse) error {
	f.mu.Lock()
	_, ok := f.jobs[a.JobID]
	f.mu.Unlock()
	if !ok {
		return fmt.Errorf("job %q: %w", a.JobID, structs.ErrNotFound)
	}
	evalID := structs.GenerateID()
	out.Index = f.write(func(index uint64) {
		f.jobs[a.JobID].Stop = true
		f.evals[evalID] = &structs.Evaluation{ID: evalID, JobID: a.JobID, Status: structs.EvalStatusComplete,
			TriggeredBy: structs.EvalTriggerJobDeregister, CreateIndex: index}
		for _, x := range f.allocs {
			if x.JobID == a.JobID {
				x.DesiredStatus = structs.AllocDesiredStop // the client stops it later
			}
		}
	})
	out.EvalID = evalID
	return nil
}

// locked runs fn with the cluster's lock held, for assertions.
func (f *fakeCluster) locked(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

// setAllocStatus plays a client reporting on every allocation of a job.
func (f *fakeCluster) setAllocStatus(jobID, status string) {
	f.write(func(uint64) {
		for _, x := range f.allocs {
			if x.JobID == jobID {
				x.ClientStatus = status
			}
		}
	})
}

func (f *fakeCluster) jobStubs(prefix string) []*structs.JobListStub {
	var out []*structs.JobListStub
	for _, j := range f.jobs {
		if !strings.HasPrefix(j.ID, prefix) {
			continue
		}
		s := j.Stub()
		s.Summary = map[string]*structs.GroupSummary{}
		for _, g := range j.Groups {
			s.Summary[g.Name] = &structs.GroupSummary{}
		}
		for _, x := range f.allocs {
			if sum := s.Summary[x.TaskGroup]; x.JobID == j.ID && sum != nil && x.ClientStatus == structs.AllocClientRunning {
				sum.Running++
			}
		}
		out = append(out, s)
	}
	return out
}

func (f *fakeCluster) allocStubs(keep func(*structs.Allocation) bool) []*structs.AllocListStub {
	var out []*structs.AllocListStub
	for _, x := range f.allocs {
		if keep(x) {
			out = append(out, x.Stub())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// runCmd runs the CLI and returns the exit code, stdout and stderr.
func runCmd(ui *cli.MockUi, args ...string) (int, string, string) {
	var help, errs bytes.Buffer
	code := run(args, ui, &help, &errs)
	return code, ui.OutputWriter.String() + help.String(), ui.ErrorWriter.String() + errs.String()
}
