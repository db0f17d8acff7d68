package scheduler

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-version"
	"github.com/ryanuber/go-glob"
)

// resolveTarget interpolates one side of a constraint against a node. A
// value that is not a ${...} reference is a literal. The second result says
// whether the value exists; a missing attribute is different from an empty
// one for operators such as is_set and !=.
func resolveTarget(target string, node *structs.Node) (string, bool) {
	if !strings.HasPrefix(target, "${") || !strings.HasSuffix(target, "}") {
		return target, true
	}
	// An unknown reference never resolves, so that a typo fails closed
	// instead of comparing the literal text "${...}".
	return node.Variable(target[2 : len(target)-1])
}

// isNodeUnique reports whether a constraint looks at something that differs
// per node even among nodes of one computed class; such constraints cannot
// be memoized per class.
func isNodeUnique(c *structs.Constraint) bool {
	return refersUnique(c.Attribute) || refersUnique(c.Value)
}

func refersUnique(s string) bool {
	return strings.Contains(s, "${node.unique.") ||
		strings.Contains(s, "${attr.unique.") ||
		strings.Contains(s, "${meta.unique.")
}

// constraintChecker evaluates constraints. It caches compiled regular
// expressions, version constraints and glob patterns because the same few
// constraint values are checked against thousands of nodes.
type constraintChecker struct {
	regexps  map[string]*regexp.Regexp // nil value: pattern does not compile
	versions map[string]version.Constraints
	globs    map[string]*regexp.Regexp // only for patterns beyond plain '*'
}

func newConstraintChecker() *constraintChecker {
	return &constraintChecker{
		regexps:  map[string]*regexp.Regexp{},
		versions: map[string]version.Constraints{},
		globs:    map[string]*regexp.Regexp{},
	}
}

// meets reports whether the node satisfies the constraint. distinct_hosts
// depends on other placements, not on the node, and is checked elsewhere.
func (cc *constraintChecker) meets(c *structs.Constraint, node *structs.Node) bool {
	if c.Operator == structs.ConstraintDistinctHosts || c.Operator == structs.ConstraintDistinctProperty {
		return true
	}
	l, lok := resolveTarget(c.Attribute, node)
	r, rok := resolveTarget(c.Value, node)
	return cc.compare(c.Operator, l, r, lok, rok)
}

// compare applies an operator to resolved values.
func (cc *constraintChecker) compare(op, l, r string, lok, rok bool) bool {
	switch op {
	case "", structs.ConstraintEqual, "==", "is":
		return lok && rok && l == r
	case structs.ConstraintNotEqual, "not":
		// A missing attribute is "not equal" to anything, so that
		// `${meta.role} != "db"` admits nodes without the meta key.
		return lok != rok || l != r
	case structs.ConstraintGreater, structs.ConstraintGreaterEq,
		structs.ConstraintLess, structs.ConstraintLessEq:
		return lok && rok && orderedCompare(op, l, r)
	case structs.ConstraintRegex:
		return lok && rok && cc.regexpMatch(r, l)
	case structs.ConstraintVersion:
		return lok && rok && cc.versionMatch(r, l)
	case structs.ConstraintGlob:
		return lok && rok && cc.globMatch(r, l)
	case structs.ConstraintSetContains, structs.ConstraintSetContainsAll:
		return lok && rok && setContains(l, r)
	case structs.ConstraintSetContainsAny:
		return lok && rok && setContainsAny(l, r)
	case structs.ConstraintIsSet:
		return lok
	case structs.ConstraintIsNotSet:
		return !lok
	}
	// Unknown operators are rejected by job validation; fail closed here.
	return false
}

// orderedCompare compares numerically when both sides are numbers, so that
// "10" > "9", and lexically otherwise.
func orderedCompare(op, l, r string) bool {
	var cmp int
	lf, lerr := strconv.ParseFloat(l, 64)
	rf, rerr := strconv.ParseFloat(r, 64)
	if lerr == nil && rerr == nil {
		switch {
		case lf < rf:
			cmp = -1
		case lf > rf:
			cmp = 1
		}
	} else {
		cmp = strings.Compare(l, r)
	}
	switch op {
	case structs.ConstraintGreater:
		return cmp > 0
	case structs.ConstraintGreaterEq:
		return cmp >= 0
	case structs.ConstraintLess:
		return cmp < 0
	default:
		return cmp <= 0
	}
}

func (cc *constraintChecker) regexpMatch(pattern, s string) bool {
	re, ok := cc.regexps[pattern]
	if !ok {
		re, _ = regexp.Compile(pattern)
		cc.regexps[pattern] = re
	}
	return re != nil && re.MatchString(s)
}

func (cc *constraintChecker) versionMatch(constraint, s string) bool {
	vc, ok := cc.versions[constraint]
	if !ok {
		vc, _ = version.NewConstraint(constraint)
		cc.versions[constraint] = vc
	}
	if vc == nil {
		return false
	}
	v, err := version.NewVersion(s)
	return err == nil && vc.Check(v)
}

// globMatch matches App Mesh node-selector style wildcards. Plain '*'
// patterns (the common case) go through go-glob; patterns that also use '?'
// or character classes such as "r[12]" are translated to a cached regular
// expression in which '*' still matches any run of characters.
func (cc *constraintChecker) globMatch(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "?[") {
		return glob.Glob(pattern, s)
	}
	re, ok := cc.globs[pattern]
	if !ok {
		re, _ = regexp.Compile(globToRegexp(pattern))
		cc.globs[pattern] = re
	}
	return re != nil && re.MatchString(s)
}

// globToRegexp translates '*', '?' and [...] (with '!' or '^' negation)
// into an anchored regular expression; everything else is literal.
func globToRegexp(pattern string) string {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(pattern); i++ {
		switch ch := pattern[i]; ch {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			end := strings.IndexByte(pattern[i+1:], ']')
			if end < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := pattern[i+1 : i+1+end]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += end + 1
		default:
			// Slicing keeps multi-byte UTF-8 sequences intact.
			b.WriteString(regexp.QuoteMeta(pattern[i : i+1]))
		}
	}
	b.WriteString("$")
	return b.String()
}

// setContains reports whether every comma-separated item of want is in the
// comma-separated set have (e.g. have "a, b,c" contains want "c,a").
func setContains(have, want string) bool {
	items := map[string]struct{}{}
	for _, h := range strings.Split(have, ",") {
		items[strings.TrimSpace(h)] = struct{}{}
	}
	for _, w := range strings.Split(want, ",") {
		if _, ok := items[strings.TrimSpace(w)]; !ok {
			return false
		}
	}
	return true
}

// setContainsAny reports whether any comma-separated item of want is
// among the comma-separated items of have.
func setContainsAny(have, want string) bool {
	items := map[string]struct{}{}
	for _, h := range strings.Split(have, ",") {
		items[strings.TrimSpace(h)] = struct{}{}
	}
	for _, w := range strings.Split(want, ",") {
		if _, ok := items[strings.TrimSpace(w)]; ok {
			return true
		}
	}
	return false
}

// distinctHostsEnabled reports whether a distinct_hosts constraint is on;
// `value = "false"` turns it off, any other value (or none) turns it on.
func distinctHostsEnabled(c *structs.Constraint) bool {
	if c.Operator != structs.ConstraintDistinctHosts {
		return false
	}
	on, err := strconv.ParseBool(c.Value)
	return err != nil || on
}
