package scheduler

import (
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// computedClass hashes everything about a node that class-level
// feasibility looks at: datacenter, attributes, meta, driver health and
// host volumes.
// Keys under "unique." are left out: they differ on every node and would
// make every node its own class. Constraints that read them are checked per
// node instead (see isNodeUnique).
//
// Entries are hashed one by one and summed, which is independent of map
// order and needs neither sorting nor allocation; a 64-bit collision
// between two real node shapes is negligible.
func computedClass(n *structs.Node) uint64 {
	sum := entryHash('d', n.Datacenter, "")
	for k, v := range n.Attributes {
		if !strings.HasPrefix(k, "unique.") {
			sum += entryHash('a', k, v)
		}
	}
	for k, v := range n.Meta {
		if !strings.HasPrefix(k, "unique.") {
			sum += entryHash('m', k, v)
		}
	}
	for name, d := range n.Drivers {
		state := "absent"
		if d != nil && d.Detected {
			state = "unhealthy"
			if d.Healthy {
				state = "healthy"
			}
		}
		sum += entryHash('v', name, state)
	}
	for name, hv := range n.HostVolumes {
		mode := "rw"
		if hv != nil && hv.ReadOnly {
			mode = "ro"
		}
		sum += entryHash('h', name, mode)
	}
	return mix64(sum)
}

// entryHash is FNV-1a over tag, key and value (separated so that ("ab","c")
// and ("a","bc") differ), finished with a bit mixer so that summing
// entries does not cancel out structure.
func entryHash(tag byte, key, value string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	h = (h ^ uint64(tag)) * prime
	for i := 0; i < len(key); i++ {
		h = (h ^ uint64(key[i])) * prime
	}
	h = (h ^ 0xff) * prime
	for i := 0; i < len(value); i++ {
		h = (h ^ uint64(value[i])) * prime
	}
	return mix64(h)
}

// mix64 is the splitmix64 finalizer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// classVerdict is the memoized result of class-level checks.
type classVerdict struct {
	ok     bool
	reason string // the first check that failed, as shown in metrics
}

// groupChecker decides whether a node may run one task group. Checks that
// only depend on the node's computed class are memoized per class; the
// rest (unique.* references, distinct_hosts) run per node.
type groupChecker struct {
	group            *structs.TaskGroup
	drivers          []string
	driverReasons    []string
	classConstraints []*structs.Constraint
	classReasons     []string
	nodeConstraints  []*structs.Constraint
	nodeReasons      []string
	jobDistinct      bool // no two allocations of the job on one node
	groupDistinct    bool // no two allocations of this group on one node
	distinctProps    []distinctProp
	// classVolumes are the host volumes every allocation of the group
	// needs (checked per class); allocVolumes are per_alloc requests,
	// whose name depends on allocIndex, the placement being made.
	classVolumes []volumeNeed
	allocVolumes []volumeNeed
	allocIndex   int
	memo         map[uint64]classVerdict
	ports        *portAsk     // nil when the group asks for no port
	scorer       *groupScorer // nil without affinity and spread
}

func newGroupChecker(job *structs.Job, tg *structs.TaskGroup) *groupChecker {
	g := &groupChecker{group: tg, memo: map[uint64]classVerdict{},
		ports: newPortAsk(tg), scorer: newGroupScorer(job, tg)}
	seen := map[string]bool{}
	for _, t := range tg.Tasks {
		if !seen[t.Driver] {
			seen[t.Driver] = true
			g.drivers = append(g.drivers, t.Driver)
			g.driverReasons = append(g.driverReasons, structs.MissingDriverReason(t.Driver))
		}
	}
	add := func(cs []*structs.Constraint, distinct *bool) {
		for _, c := range cs {
			switch {
			case c == nil:
			case c.Operator == structs.ConstraintDistinctHosts:
				*distinct = *distinct || distinctHostsEnabled(c)
			case c.Operator == structs.ConstraintDistinctProperty:
				g.distinctProps = append(g.distinctProps, newDistinctProp(c, distinct == &g.groupDistinct, tg.Name))
			case isNodeUnique(c):
				g.nodeConstraints = append(g.nodeConstraints, c)
				g.nodeReasons = append(g.nodeReasons, c.String())
			default:
				g.classConstraints = append(g.classConstraints, c)
				g.classReasons = append(g.classReasons, c.String())
			}
		}
	}
	add(job.Constraints, &g.jobDistinct)
	add(tg.Constraints, &g.groupDistinct)
	g.addVolumes(tg)
	return g
}

// classCheck runs (or recalls) the class-level checks for a node.
func (g *groupChecker) classCheck(cc *constraintChecker, n *structs.Node, class uint64) classVerdict {
	if v, ok := g.memo[class]; ok {
		return v
	}
	v := classVerdict{ok: true}
	for i, d := range g.drivers {
		info := n.Drivers[d]
		if info == nil || !info.Detected || !info.Healthy {
			v = classVerdict{reason: g.driverReasons[i]}
			break
		}
	}
	if v.ok {
		if reason := volumesMissing(n, g.classVolumes, 0); reason != "" {
			v = classVerdict{reason: reason}
		}
	}
	if v.ok {
		for i, c := range g.classConstraints {
			if !cc.meets(c, n) {
				v = classVerdict{reason: g.classReasons[i]}
				break
			}
		}
	}
	g.memo[class] = v
	return v
}

// nodeCheck runs the checks that cannot be memoized per class. It returns
// the failing reason or "".
func (g *groupChecker) nodeCheck(cc *constraintChecker, n *structs.Node) string {
	if reason := volumesMissing(n, g.allocVolumes, g.allocIndex); reason != "" {
		return reason
	}
	for i, c := range g.nodeConstraints {
		if !cc.meets(c, n) {
			return g.nodeReasons[i]
		}
	}
	return ""
}

// datacenterMatcher memoizes which datacenters a job may use; patterns may
// be "*" or globs such as "us-*".
type datacenterMatcher struct {
	patterns []string
	cc       *constraintChecker
	memo     map[string]bool
}

func (m *datacenterMatcher) matches(dc string) bool {
	if ok, found := m.memo[dc]; found {
		return ok
	}
	ok := false
	for _, p := range m.patterns {
		if p == "*" || p == dc || m.cc.globMatch(p, dc) {
			ok = true
			break
		}
	}
	m.memo[dc] = ok
	return ok
}
