package state

import (
	"fmt"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// BenchmarkUpsertAllocsByStateSize writes one batch of new allocations
// (as a plan commit does) into states of two sizes. Past 8,192 changed
// radix nodes in one index, go-memdb stops tracking them and its commit
// walks the whole index to find the watches to wake (slowNotify): this
// shows what that and the batch size cost per allocation.
func BenchmarkUpsertAllocsByStateSize(b *testing.B) {
	for _, size := range []int{10_000, 50_000} {
		for _, batch := range []int{250, 3000} {
			b.Run(fmt.Sprintf("state%d/batch%d", size, batch), func(b *testing.B) {
				s, job, nodes := filledStore(b, size)
				index := uint64(10_000)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					allocs := make([]*structs.Allocation, batch)
					for k := range allocs {
						allocs[k] = mockAlloc(structs.GenerateID(), job, nodes[(i*batch+k)%len(nodes)])
					}
					index++
					must(b, s.UpsertAllocs(index, allocs))
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/alloc")
			})
		}
	}
}

// filledStore returns a store with 5,000 nodes and size allocations of one
// job spread over them.
func filledStore(b *testing.B, size int) (*StateStore, *structs.Job, []string) {
	b.Helper()
	s := testStore(b)
	job := mockJob("bench")
	must(b, s.UpsertJob(1, 0, job))
	nodes := make([]string, 5000)
	for i := range nodes {
		nodes[i] = structs.GenerateID()
		must(b, s.UpsertNode(uint64(2+i), mockNode(nodes[i])))
	}
	index := uint64(6000)
	for done := 0; done < size; done += 200 {
		allocs := make([]*structs.Allocation, 0, 200)
		for k := 0; k < 200 && done+k < size; k++ {
			allocs = append(allocs, mockAlloc(structs.GenerateID(), job, nodes[(done+k)%len(nodes)]))
		}
		index++
		must(b, s.UpsertAllocs(index, allocs))
	}
	return s, job, nodes
}
