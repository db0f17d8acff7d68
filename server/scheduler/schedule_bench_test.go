package scheduler

import (
	"fmt"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// benchJob runs one evaluation per iteration of a job built by mk on a fresh
// harness of nodes, and reports placements per second.
func benchJob(b *testing.B, nodes []*structs.Node, want int, mk func() *structs.Job) {
	job := mk()
	var placed int
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h := NewHarness()
		h.UpsertNode(nodes...)
		h.UpsertJob(job)
		b.StartTimer()
		if err := h.Process(testEval(job)); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		n := 0
		for _, p := range h.Plans {
			n += len(planAllocs(p.NodeAllocation))
		}
		if n != want {
			b.Fatalf("placed %d, want %d", n, want)
		}
		placed += n
		b.StartTimer()
	}
	b.ReportMetric(float64(placed)/b.Elapsed().Seconds(), "placements/s")
}

func BenchmarkScheduleService(b *testing.B) {
	for _, n := range []int{1000, 5000, 10000} {
		nodes := benchNodes(n)
		b.Run(fmt.Sprintf("%dNodes_1200Allocs", n), func(b *testing.B) {
			benchJob(b, nodes, 1200, func() *structs.Job { return testJob("svc", 1200) })
		})
	}
}

func BenchmarkScheduleSpreadRack(b *testing.B) {
	for _, n := range []int{1000, 5000, 10000} {
		nodes := benchNodes(n)
		b.Run(fmt.Sprintf("%dNodes_1200Allocs", n), func(b *testing.B) {
			benchJob(b, nodes, 1200, func() *structs.Job {
				job := testJob("spread", 1200)
				job.Groups[0].Spreads = []*structs.Spread{{Attribute: "${meta.rack}", Weight: 100}}
				return job
			})
		})
	}
}

func BenchmarkScheduleSystem(b *testing.B) {
	for _, n := range []int{1000, 5000, 10000} {
		nodes := benchNodes(n)
		b.Run(fmt.Sprintf("%dNodes", n), func(b *testing.B) {
			benchJob(b, nodes, n, func() *structs.Job {
				job := testJob("sys", 1)
				job.Type = structs.JobTypeSystem
				return job
			})
		})
	}
}

func BenchmarkSchedulePorts(b *testing.B) {
	nodes := benchNodes(5000)
	benchJob(b, nodes, 1200, func() *structs.Job {
		job := testJob("ports", 1200)
		job.Groups[0].Network = &structs.NetworkResource{Ports: []*structs.Port{{Label: "http"}, {Label: "admin"}}}
		return job
	})
}
