package scheduler

import (
	"math"

	"github.com/appmesh/appmesh/structs"
)

// Resource dimensions named in metrics and fit results.
const (
	dimensionCPU    = "cpu"
	dimensionMemory = "memory"
	dimensionCores  = "cores"
	dimensionDisk   = "disk"
)

// AllocsFit reports whether the non-terminal allocations together fit in
// the node's available capacity (total minus reserved). On failure,
// dimension names the exhausted resource ("cpu", "memory", or "ports" when
// two allocations hold one port). used is the
// sum of what the counted allocations ask for.
//
// The plan applier calls it with the node's current allocations, minus the
// plan's stops for that node, plus the plan's placements.
func AllocsFit(node *structs.Node, allocs []*structs.Allocation) (fit bool, dimension string, used *structs.Resources) {
	used = &structs.Resources{}
	for _, a := range allocs {
		if a.TerminalStatus() {
			continue
		}
		addAllocResources(used, a)
	}
	fit, dimension = node.Available().Superset(used)
	if fit && portCollision(allocs) != 0 {
		return false, dimensionPorts, used
	}
	return fit, dimension, used
}

// addAllocResources adds what an allocation uses to r.
func addAllocResources(r *structs.Resources, a *structs.Allocation) { a.AddResourcesTo(r) }

// binPackScore rates how well `need` fits on a node that has `avail` in
// total and `used` already taken. Fuller nodes score higher (best fit), so
// work concentrates and whole nodes stay free for large allocations. The
// raw score 20 - (10^freeCPU + 10^freeMem) spans [0, 18]; it is normalized
// to [0, 1].
func binPackScore(avail, used, need *structs.Resources) float64 {
	freeCPU := freeFraction(avail.CPU, used.CPU+need.CPU)
	freeMem := freeFraction(avail.MemoryMB, used.MemoryMB+need.MemoryMB)
	// 10^x computed as e^(x·ln 10): same value, a third of the cost of Pow.
	raw := 20 - (math.Exp(freeCPU*math.Ln10) + math.Exp(freeMem*math.Ln10))
	return raw / 18
}

func freeFraction(total, used int) float64 {
	if total <= 0 {
		return 0
	}
	f := 1 - float64(used)/float64(total)
	return min(max(f, 0), 1)
}
