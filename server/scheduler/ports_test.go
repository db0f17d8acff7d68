package scheduler

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func withPorts(job *structs.Job, ports ...*structs.Port) *structs.Job {
	job.Groups[0].Network = &structs.NetworkResource{Ports: ports}
	return job
}

func TestPorts_StaticPortNeverSharedBetweenJobs(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNodes(3)...)
	a := withPorts(testJob("a", 2), &structs.Port{Label: "http", Static: 8080})
	b := withPorts(testJob("b", 2), &structs.Port{Label: "http", Static: 8080})
	h.UpsertJob(a)
	h.UpsertJob(b)
	placeAndRun(t, h, a)
	got := process(t, h, testEval(b))

	used := map[string]string{}
	for _, job := range []*structs.Job{a, b} {
		for _, al := range liveAllocs(t, h, job) {
			if len(al.AllocatedPorts) != 1 || al.AllocatedPorts[0].Value != 8080 {
				t.Fatalf("%s ports = %+v", al.Name, al.AllocatedPorts)
			}
			if other, dup := used[al.NodeID]; dup {
				t.Fatalf("%s and %s share port 8080 on %s", other, al.Name, al.NodeID)
			}
			used[al.NodeID] = al.Name
		}
	}
	// Three nodes, four asks: one of b's placements cannot fit.
	m := got.FailedTGAllocs["web"]
	if m == nil || m.DimensionExhausted[dimensionPorts] == 0 {
		t.Fatalf("failed = %+v, want ports exhausted", m)
	}
}

func TestPorts_DynamicPortsUniqueWithinOnePlan(t *testing.T) {
	h := NewHarness()
	h.UpsertNode(testNode(0))
	job := withPorts(testJob("dyn", 8), &structs.Port{Label: "admin"}, &structs.Port{Label: "metrics"})
	job.Groups[0].Tasks[0].Resources = &structs.Resources{CPU: 10, MemoryMB: 10}
	h.UpsertJob(job)
	process(t, h, testEval(job))
	seen := map[int]bool{}
	for _, a := range liveAllocs(t, h, job) {
		if len(a.AllocatedPorts) != 2 {
			t.Fatalf("%s ports = %+v", a.Name, a.AllocatedPorts)
		}
		for _, p := range a.AllocatedPorts {
			if p.Value < structs.DefaultMinDynamicPort || p.Value > structs.DefaultMaxDynamicPort {
				t.Fatalf("port %d outside the dynamic range", p.Value)
			}
			if seen[p.Value] {
				t.Fatalf("port %d given twice on one node", p.Value)
			}
			seen[p.Value] = true
		}
	}
	if len(seen) != 16 {
		t.Fatalf("%d distinct ports, want 16", len(seen))
	}
}

func TestAllocsFit_RejectsPortCollision(t *testing.T) {
	node := testNode(0)
	mk := func(port int) *structs.Allocation {
		return &structs.Allocation{ID: structs.GenerateID(), DesiredStatus: structs.AllocDesiredRun,
			ClientStatus: structs.AllocClientRunning, Resources: &structs.Resources{CPU: 1, MemoryMB: 1},
			AllocatedPorts: []structs.AllocatedPort{{Label: "http", Value: port}}}
	}
	if fit, dim, _ := AllocsFit(node, []*structs.Allocation{mk(8080), mk(8080)}); fit || dim != dimensionPorts {
		t.Fatalf("fit=%v dim=%q, want a ports collision", fit, dim)
	}
	if fit, _, _ := AllocsFit(node, []*structs.Allocation{mk(8080), mk(8081)}); !fit {
		t.Fatal("distinct ports rejected")
	}
	stopped := mk(8080)
	stopped.DesiredStatus = structs.AllocDesiredStop
	if fit, _, _ := AllocsFit(node, []*structs.Allocation{mk(8080), stopped}); !fit {
		t.Fatal("a stopped allocation's port still counted")
	}
}

func TestPorts_Validation(t *testing.T) {
	for name, n := range map[string]*structs.NetworkResource{
		"bad label":  {Ports: []*structs.Port{{Label: "1x"}}},
		"duplicate":  {Ports: []*structs.Port{{Label: "a"}, {Label: "a"}}},
		"range":      {Ports: []*structs.Port{{Label: "a", Static: 70000}}},
		"same port":  {Ports: []*structs.Port{{Label: "a", Static: 80}, {Label: "b", Static: 80}}},
		"negative":   {Ports: []*structs.Port{{Label: "a", Static: -1}}},
		"bad target": {Ports: []*structs.Port{{Label: "a", To: -5}}},
	} {
		if err := n.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	ok := &structs.NetworkResource{Ports: []*structs.Port{{Label: "http", Static: 8080}, {Label: "admin"}}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
}
