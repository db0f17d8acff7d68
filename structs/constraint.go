package structs

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/go-version"
)

// Constraint operators.
const (
	ConstraintEqual       = "="
	ConstraintNotEqual    = "!="
	ConstraintGreater     = ">"
	ConstraintGreaterEq   = ">="
	ConstraintLess        = "<"
	ConstraintLessEq      = "<="
	ConstraintRegex       = "regexp"
	ConstraintVersion     = "version"
	ConstraintGlob        = "glob"
	ConstraintSetContains = "set_contains"
	// ConstraintSetContainsAll is Nomad's other name for set_contains.
	ConstraintSetContainsAll = "set_contains_all"
	// ConstraintSetContainsAny holds when any item of value is in attribute.
	ConstraintSetContainsAny = "set_contains_any"
	ConstraintIsSet          = "is_set"
	ConstraintIsNotSet       = "is_not_set"
	ConstraintDistinctHosts  = "distinct_hosts"
	// ConstraintDistinctProperty limits how many allocations share one
	// value of the attribute (value: the limit, default 1).
	ConstraintDistinctProperty = "distinct_property"
)

// Constraint filters the nodes a job or group may be placed on, e.g.
// attribute = "${attr.kernel.name}", operator = "=", value = "linux".
type Constraint struct {
	Attribute string `json:"attribute,omitempty"`
	Operator  string `json:"operator,omitempty"`
	Value     string `json:"value,omitempty"`
}

func (c *Constraint) String() string {
	return strings.TrimSpace(fmt.Sprintf("%s %s %s", c.Attribute, c.Operator, c.Value))
}

// Validate checks that the operator is known and its value well formed.
func (c *Constraint) Validate() error {
	v := &ValidationError{}
	op := c.Operator
	if op == "" {
		op = ConstraintEqual
	}
	switch op {
	case ConstraintEqual, "==", "is", ConstraintNotEqual, "not", ConstraintGreater, ConstraintGreaterEq,
		ConstraintLess, ConstraintLessEq, ConstraintGlob, ConstraintSetContains, ConstraintSetContainsAll,
		ConstraintSetContainsAny:
		if c.Attribute == "" {
			v.Add("", "attribute is required for operator %q", op)
		}
	case ConstraintRegex:
		if _, err := regexp.Compile(c.Value); err != nil {
			v.Add("", "value %q is not a valid regular expression: %v", c.Value, err)
		}
	case ConstraintVersion:
		if _, err := version.NewConstraint(c.Value); err != nil {
			v.Add("", "value %q is not a valid version constraint: %v", c.Value, err)
		}
	case ConstraintIsSet, ConstraintIsNotSet:
		if c.Attribute == "" {
			v.Add("", "attribute is required for operator %q", op)
		}
	case ConstraintDistinctHosts:
	case ConstraintDistinctProperty:
		if c.Attribute == "" {
			v.Add("", "attribute is required for operator %q", op)
		}
		if c.Value != "" {
			if n, err := strconv.Atoi(c.Value); err != nil || n < 1 {
				v.Add("", "value %q of distinct_property must be a whole number of at least 1 (the most allocations per attribute value)", c.Value)
			}
		}
	default:
		v.Add("", "operator %q is unknown: use one of =, == (is), != (not), >, >=, <, <=, regexp, version, glob, set_contains (set_contains_all), set_contains_any, is_set, is_not_set, distinct_hosts, distinct_property", c.Operator)
	}
	return v.ErrorOrNil()
}
