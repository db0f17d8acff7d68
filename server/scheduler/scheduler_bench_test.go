package scheduler

import (
	"fmt"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// benchNodes builds n ready nodes spread over 25 racks (meta.rack), the
// shape of the design's scheduler budget.
func benchNodes(n int) []*structs.Node {
	nodes := make([]*structs.Node, n)
	for i := range nodes {
		node := testNode(i)
		node.ID = fmt.Sprintf("%08x-0000-4000-8000-%012x", i*2654435761%(1<<32), i)
		node.Meta["rack"] = fmt.Sprintf("r%02d", i%25)
		node.Attributes["unique.network.ip-address"] = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		nodes[i] = node
	}
	return nodes
}

// benchPlace runs one evaluation that places `count` allocations of one
// group on `nodes` per iteration and reports placements per second. The
// harness is rebuilt outside the timer so that every iteration places
// into an empty cluster.
func benchPlace(b *testing.B, jobType string, nodes []*structs.Node, count int) {
	job := testJob("bench", count)
	job.Type = jobType
	job.Constraints = []*structs.Constraint{{Attribute: "${attr.kernel.name}", Operator: "=", Value: "linux"}}
	var placed int
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h := NewHarness()
		h.UpsertNode(nodes...)
		h.UpsertJob(job)
		eval := testEval(job)
		b.StartTimer()

		if err := h.Process(eval); err != nil {
			b.Fatal(err)
		}

		b.StopTimer()
		n := len(planAllocs(h.Plans[0].NodeAllocation))
		if n != count {
			b.Fatalf("placed %d, want %d", n, count)
		}
		placed += n
		b.StartTimer()
	}
	b.ReportMetric(float64(placed)/b.Elapsed().Seconds(), "placements/s")
}

func BenchmarkServiceJob_5000Nodes_1200Allocs(b *testing.B) {
	benchPlace(b, structs.JobTypeService, benchNodes(5000), 1200)
}

func BenchmarkBatchJob_5000Nodes_1200Allocs(b *testing.B) {
	benchPlace(b, structs.JobTypeBatch, benchNodes(5000), 1200)
}
