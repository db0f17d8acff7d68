package scheduler

import (
	"fmt"
	"strconv"

	"github.com/appmesh/appmesh/structs"
)

// distinctProp is one distinct_property constraint: at most limit
// allocations of the job (or of the group) per value of attribute.
type distinctProp struct {
	attribute string
	limit     int
	group     string // "" for a job-level constraint
	reason    string
}

func newDistinctProp(c *structs.Constraint, groupLevel bool, group string) distinctProp {
	limit := 1
	if n, err := strconv.Atoi(c.Value); err == nil && n > 0 {
		limit = n
	}
	d := distinctProp{attribute: c.Attribute, limit: limit, reason: fmt.Sprintf("distinct_property %s", c.Attribute)}
	if groupLevel {
		d.group = group
	}
	return d
}

func (d distinctProp) key() string { return d.group + "\x00" + d.attribute }

// propertyCounts counts, per constraint, the live and planned allocations
// per attribute value. It is built on first use from the job's allocations.
type propertyCounts map[string]map[string]int

// trackProperties seeds the counts of every distinct_property constraint
// of the job from its live allocations.
func (p *placer) trackProperties(allocs []*structs.Allocation, props []distinctProp) error {
	if p.props == nil {
		p.props = propertyCounts{}
	}
	for _, d := range props {
		if _, done := p.props[d.key()]; done {
			continue
		}
		counts := map[string]int{}
		p.props[d.key()] = counts
		p.propDefs = append(p.propDefs, d)
		for _, a := range allocs {
			if a.TerminalStatus() || p.stopped.has(a.ID) || (d.group != "" && a.TaskGroup != d.group) {
				continue
			}
			node, err := p.nodeOf(a.NodeID)
			if err != nil {
				return err
			}
			if v, ok := resolveTarget(d.attribute, node); ok && node != nil {
				counts[v]++
			}
		}
	}
	return nil
}

// propertyBlocked names the distinct_property constraint the node would
// break, or "".
func (p *placer) propertyBlocked(gc *groupChecker, node *structs.Node) string {
	for _, d := range gc.distinctProps {
		v, ok := resolveTarget(d.attribute, node)
		if !ok {
			return d.reason + " (not set on the node)"
		}
		if p.props[d.key()][v] >= d.limit {
			return d.reason
		}
	}
	return ""
}

// countProperties follows a placement (delta 1) or a release (-1).
func (p *placer) countProperties(group, nodeID string, delta int) {
	if len(p.propDefs) == 0 {
		return
	}
	node, err := p.nodeOf(nodeID)
	if err != nil || node == nil {
		return
	}
	for _, d := range p.propDefs {
		if d.group != "" && d.group != group {
			continue
		}
		if v, ok := resolveTarget(d.attribute, node); ok {
			p.props[d.key()][v] += delta
		}
	}
}

// nodeOf finds a node among the candidates, else in the state.
func (p *placer) nodeOf(id string) (*structs.Node, error) {
	if e := p.entry(id); e != nil {
		return e.node, nil
	}
	return p.state.NodeByID(id)
}
