package scheduler

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
)

// dimensionPorts names port exhaustion and collisions in metrics and fit
// results.
const dimensionPorts = "ports"

const dynamicPortCount = structs.DefaultMaxDynamicPort - structs.DefaultMinDynamicPort + 1

// portAsk is what a group needs from a node's ports.
type portAsk struct {
	statics []*structs.Port
	dynamic []*structs.Port
}

func newPortAsk(tg *structs.TaskGroup) *portAsk {
	if !tg.Network.HasPorts() {
		return nil
	}
	ask := &portAsk{}
	for _, p := range tg.Network.Ports {
		if p == nil {
			continue
		}
		if p.Static > 0 {
			ask.statics = append(ask.statics, p)
		} else {
			ask.dynamic = append(ask.dynamic, p)
		}
	}
	return ask
}

// portSet is the ports taken on one node.
type portSet map[int]struct{}

func (s portSet) addAlloc(a *structs.Allocation) portSet {
	if len(a.AllocatedPorts) == 0 {
		return s
	}
	if s == nil {
		s = portSet{}
	}
	for _, p := range a.AllocatedPorts {
		s[p.Value] = struct{}{}
	}
	return s
}

func (s portSet) removeAlloc(a *structs.Allocation) {
	for _, p := range a.AllocatedPorts {
		delete(s, p.Value)
	}
}

// fits reports whether the ask can be met on a node with these ports taken.
func (ask *portAsk) fits(taken portSet) bool {
	if ask == nil {
		return true
	}
	for _, p := range ask.statics {
		if _, used := taken[p.Static]; used {
			return false
		}
	}
	if len(ask.dynamic) == 0 {
		return true
	}
	inRange := 0
	if len(taken) > 0 {
		for port := range taken {
			if port >= structs.DefaultMinDynamicPort && port <= structs.DefaultMaxDynamicPort {
				inRange++
			}
		}
	}
	return dynamicPortCount-inRange >= len(ask.dynamic)
}

// assign picks the ports for one allocation and marks them taken. Dynamic
// ports are probed from a start derived from seed so that allocations of one
// plan do not all race for the lowest port. The caller checked fits.
func (ask *portAsk) assign(taken *portSet, seed uint64) ([]structs.AllocatedPort, error) {
	if ask == nil {
		return nil, nil
	}
	if *taken == nil {
		*taken = portSet{}
	}
	out := make([]structs.AllocatedPort, 0, len(ask.statics)+len(ask.dynamic))
	for _, p := range ask.statics {
		(*taken)[p.Static] = struct{}{}
		out = append(out, structs.AllocatedPort{Label: p.Label, Value: p.Static, To: p.To})
	}
	start := int(seed % dynamicPortCount)
	for _, p := range ask.dynamic {
		found := false
		for i := 0; i < dynamicPortCount; i++ {
			port := structs.DefaultMinDynamicPort + (start+i)%dynamicPortCount
			if _, used := (*taken)[port]; used {
				continue
			}
			(*taken)[port] = struct{}{}
			out = append(out, structs.AllocatedPort{Label: p.Label, Value: port, To: p.To})
			start += i + 1
			found = true
			break
		}
		if !found {
			return nil, fmt.Errorf("no free dynamic port for %q", p.Label)
		}
	}
	return out, nil
}

// portCollision returns the first port held by two of the allocations, or 0.
func portCollision(allocs []*structs.Allocation) int {
	var seen map[int]struct{}
	for _, a := range allocs {
		if a.TerminalStatus() {
			continue
		}
		for _, p := range a.AllocatedPorts {
			if seen == nil {
				seen = map[int]struct{}{}
			}
			if _, dup := seen[p.Value]; dup {
				return p.Value
			}
			seen[p.Value] = struct{}{}
		}
	}
	return 0
}
