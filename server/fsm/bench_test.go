package fsm

import (
	"fmt"
	"testing"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/raft"
)

// BenchmarkFSMApplyPlan measures applying a committed plan of 100
// placements (decode + state write + job status), the plan applier's hot
// path. The FSM is rebuilt (off the clock) every planBatch plans so that the
// state does not grow with b.N.
func BenchmarkFSMApplyPlan(b *testing.B) {
	const placements, nodes, planBatch = 100, 50, 200
	job := mockJob("web", structs.JobTypeService)
	entries := make([][]byte, planBatch)
	for p := range entries {
		plan := &structs.ApplyPlanResultsEntry{EvalID: fmt.Sprintf("e%d", p), Time: int64(p)}
		for i := 0; i < placements; i++ {
			a := mockAlloc(fmt.Sprintf("alloc-%d-%d", p, i), job, fmt.Sprintf("n%d", i%nodes), p*placements+i)
			a.EvalID = plan.EvalID
			plan.AllocsPlaced = append(plan.AllocsPlaced, a)
		}
		entries[p] = encode(b, structs.ApplyPlanResultsRequestType, plan)
	}
	fresh := func() *FSM {
		f := testFSM(b)
		for i := 0; i < nodes; i++ {
			apply(b, f, uint64(i+1), structs.NodeRegisterRequestType, &structs.NodeRegisterEntry{Node: mockNode(fmt.Sprintf("n%d", i))})
		}
		apply(b, f, nodes+1, structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: job})
		return f
	}
	var f *FSM
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := i % planBatch
		if p == 0 {
			b.StopTimer()
			f = fresh()
			b.StartTimer()
		}
		if resp := f.Apply(&raft.Log{Index: uint64(nodes + 2 + p), Data: entries[p]}); resp != nil {
			b.Fatal(resp)
		}
	}
	b.ReportMetric(float64(b.N*placements)/b.Elapsed().Seconds(), "placements/s")
}

// BenchmarkAllocsByNode reads one node's allocations out of 10,000 on 100
// nodes, what a client's blocking query does on every wake-up.
func BenchmarkAllocsByNode(b *testing.B) {
	const nodes, perNode = 100, 100
	f := testFSM(b)
	job := mockJob("web", structs.JobTypeService)
	apply(b, f, 1, structs.JobRegisterRequestType, &structs.JobRegisterEntry{Job: job})
	for n := 0; n < nodes; n++ {
		plan := &structs.ApplyPlanResultsEntry{EvalID: "e1", Time: 1}
		for i := 0; i < perNode; i++ {
			plan.AllocsPlaced = append(plan.AllocsPlaced, mockAlloc(fmt.Sprintf("a-%d-%d", n, i), job, fmt.Sprintf("n%d", n), n*perNode+i))
		}
		apply(b, f, uint64(n+2), structs.ApplyPlanResultsRequestType, plan)
	}
	s := f.State()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		allocs, err := s.AllocsByNode(nil, fmt.Sprintf("n%d", i%nodes))
		if err != nil || len(allocs) != perNode {
			b.Fatalf("got %d allocs, err %v", len(allocs), err)
		}
	}
}
