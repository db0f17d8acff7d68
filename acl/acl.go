package acl

import (
	"slices"
	"strings"
)

// access is a merged node, agent or operator disposition.
type access uint8

const (
	accessNone access = iota
	accessRead
	accessWrite
)

// coarse merges node, agent or operator rules: deny > write > read.
type coarse struct {
	level  access
	denied bool
}

func (c *coarse) add(policy string) {
	switch policy {
	case PolicyDeny:
		c.denied = true
	case PolicyWrite:
		c.level = max(c.level, accessWrite)
	case PolicyRead:
		c.level = max(c.level, accessRead)
	}
	// "" and unknown values grant nothing.
}

func (c coarse) allows(need access) bool {
	return !c.denied && need != accessNone && c.level >= need
}

// globRule is a merged namespace rule whose name holds '*'.
type globRule struct {
	glob
	caps capSet
}

// ACL is a compiled set of policies. It is immutable and safe for concurrent
// use. A nil *ACL denies everything.
type ACL struct {
	management bool
	// exact holds the merged rules whose name has no '*'; a rule that
	// denies is present with no capabilities, so that it still hides the
	// globs.
	exact map[string]capSet
	// globs holds the other rules, closest first (see closer).
	globs                 []globRule
	node, agent, operator coarse
}

// Management returns an ACL that allows everything.
func Management() *ACL {
	return &ACL{management: true}
}

// New compiles policies into an ACL. Rules for the same namespace pattern
// are merged (capabilities add up, a deny anywhere leaves none); node, agent
// and operator take the strongest of deny > write > read. Values that Parse
// would refuse (unknown policies or capabilities) grant nothing. No policy
// at all gives an ACL that denies everything.
func New(policies []*Policy) *ACL {
	a := &ACL{exact: map[string]capSet{}}
	caps := map[string]capSet{}
	denied := map[string]bool{}
	for _, p := range policies {
		if p == nil {
			continue
		}
		a.node.add(p.Node)
		a.agent.add(p.Agent)
		a.operator.add(p.Operator)
		for _, r := range p.Namespaces {
			if r == nil {
				continue
			}
			name := r.Name
			if name == "" {
				name = DefaultNamespace
			}
			set, deny := ruleCaps(r)
			caps[name] |= set
			denied[name] = denied[name] || deny
		}
	}
	for name, set := range caps {
		if denied[name] {
			set = 0
		}
		if strings.Contains(name, "*") {
			a.globs = append(a.globs, globRule{glob: compileGlob(name), caps: set})
		} else {
			a.exact[name] = set
		}
	}
	slices.SortFunc(a.globs, func(x, y globRule) int {
		switch {
		case closer(&x.glob, &y.glob):
			return -1
		case closer(&y.glob, &x.glob):
			return 1
		}
		return 0
	})
	return a
}

// ruleCaps expands one rule, and tells whether it denies.
func ruleCaps(r *NamespaceRule) (capSet, bool) {
	var set capSet
	deny := false
	switch r.Policy {
	case PolicyDeny:
		deny = true
	case PolicyRead:
		set |= readCaps
	case PolicyWrite:
		set |= writeCaps
	}
	for _, c := range r.Capabilities {
		if c == CapabilityDeny {
			deny = true
			continue
		}
		b, _ := capBit(c)
		set |= b
	}
	return set, deny
}

// IsManagement reports whether the ACL allows everything.
func (a *ACL) IsManagement() bool {
	return a != nil && a.management
}

// namespaceCaps returns the capabilities of the rule that applies to ns.
func (a *ACL) namespaceCaps(ns string) capSet {
	if ns == "" {
		ns = DefaultNamespace
	}
	if strings.Contains(ns, "*") {
		// Not a namespace: a rule "*" must not read as granting a
		// namespace literally named "*" (the "all namespaces" marker).
		return 0
	}
	if set, ok := a.exact[ns]; ok {
		return set
	}
	for i := range a.globs {
		if a.globs[i].match(ns) {
			return a.globs[i].caps
		}
	}
	return 0
}

// AllowNamespaceOperation reports whether capability is granted in ns.
// Unknown capabilities (and "deny") are never granted, even to management.
func (a *ACL) AllowNamespaceOperation(ns, capability string) bool {
	if a == nil {
		return false
	}
	bit, ok := capBit(capability)
	if !ok {
		return false
	}
	if a.management {
		return true
	}
	return a.namespaceCaps(ns)&bit != 0
}

// AllowNamespace reports whether any capability at all is granted in ns;
// it decides which namespaces a list shows.
func (a *ACL) AllowNamespace(ns string) bool {
	if a == nil {
		return false
	}
	if a.management {
		return true
	}
	return a.namespaceCaps(ns) != 0
}

func (a *ACL) allowCoarse(pick func(*ACL) coarse, need access) bool {
	if a == nil {
		return false
	}
	return a.management || pick(a).allows(need)
}

func nodeRule(a *ACL) coarse     { return a.node }
func agentRule(a *ACL) coarse    { return a.agent }
func operatorRule(a *ACL) coarse { return a.operator }

// AllowNodeRead and the five methods after it answer for the node, agent
// and operator rules; write implies read, and a deny in any policy wins.
func (a *ACL) AllowNodeRead() bool      { return a.allowCoarse(nodeRule, accessRead) }
func (a *ACL) AllowNodeWrite() bool     { return a.allowCoarse(nodeRule, accessWrite) }
func (a *ACL) AllowAgentRead() bool     { return a.allowCoarse(agentRule, accessRead) }
func (a *ACL) AllowAgentWrite() bool    { return a.allowCoarse(agentRule, accessWrite) }
func (a *ACL) AllowOperatorRead() bool  { return a.allowCoarse(operatorRule, accessRead) }
func (a *ACL) AllowOperatorWrite() bool { return a.allowCoarse(operatorRule, accessWrite) }
