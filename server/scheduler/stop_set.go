package scheduler

import "github.com/appmesh/appmesh/structs"

// stopSet is the allocations a plan stops: by ID, and the nodes they are
// on. A node's usage summary still counts the allocations the plan stops,
// so a node with a stop is read allocation by allocation instead.
type stopSet struct {
	ids   map[string]bool
	nodes map[string]bool
}

func newStopSet() *stopSet {
	return &stopSet{ids: map[string]bool{}, nodes: map[string]bool{}}
}

func (s *stopSet) add(a *structs.Allocation) {
	s.ids[a.ID] = true
	s.nodes[a.NodeID] = true
}

// remove takes an allocation back out. Its node stays marked: reading a
// node in full is always right, only slower.
func (s *stopSet) remove(a *structs.Allocation) { delete(s.ids, a.ID) }

func (s *stopSet) has(id string) bool { return s.ids[id] }

func (s *stopSet) onNode(nodeID string) bool { return s.nodes[nodeID] }
