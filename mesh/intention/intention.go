// Package intention decides whether one mesh service may connect to
// another, with Consul's semantics: the most precise matching intention
// wins (the destination's precision counts before the source's), deny wins
// between equally precise ones, and the destination namespace's default
// applies when nothing matches. It is pure: callers bring the intentions.
package intention

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
)

// Service names one side of a connection.
type Service struct {
	Namespace string
	Name      string
}

func (s Service) String() string { return s.Namespace + "/" + s.Name }

// precision of one side: 2 for an exact name, 1 for an exact namespace
// with any name, 0 for any namespace and any name.
func precision(ns, name string) int {
	switch {
	case ns == structs.MeshWildcard:
		return 0
	case name == structs.MeshWildcard:
		return 1
	default:
		return 2
	}
}

// Precedence ranks an intention from 1 (any to any) to 9 (exact to exact).
func Precedence(in *structs.Intention) int {
	return precision(in.DestinationNamespace, in.DestinationName)*3 +
		precision(in.SourceNamespace, in.SourceName) + 1
}

// MaxDescription bounds an intention's description: every proxy holds
// every intention into its namespace.
const MaxDescription = 1024

// Validate checks one intention as a user wrote it.
func Validate(in *structs.Intention) error {
	v := &structs.ValidationError{}
	side := func(what, ns, name string) {
		switch {
		case ns == "" || name == "":
			v.Add(what, "namespace and name are required (use %q for any)", structs.MeshWildcard)
		case ns == structs.MeshWildcard && name != structs.MeshWildcard:
			v.Add(what, "%s/%s: a wildcard namespace needs a wildcard name", ns, name)
		case ns != structs.MeshWildcard && !structs.ValidMeshNamespace(ns):
			v.Add(what, "namespace %q is invalid: use 1 to 128 letters, digits, '-' or '_'", ns)
		case name != structs.MeshWildcard && !structs.ValidMeshServiceName(name):
			v.Add(what, "service name %q is invalid: use letters, digits and '-' (a DNS label), or %q for any", name, structs.MeshWildcard)
		}
	}
	side("source", in.SourceNamespace, in.SourceName)
	side("destination", in.DestinationNamespace, in.DestinationName)
	if len(in.Description) > MaxDescription {
		v.Add("description", "%d bytes is too long (limit %d)", len(in.Description), MaxDescription)
	}
	if in.Action != structs.IntentionAllow && in.Action != structs.IntentionDeny {
		v.Add("action", "%q is invalid: use %q or %q", in.Action, structs.IntentionAllow, structs.IntentionDeny)
	}
	return v.ErrorOrNil()
}

func matches(ns, name string, s Service) bool {
	return (ns == structs.MeshWildcard || ns == s.Namespace) &&
		(name == structs.MeshWildcard || name == s.Name)
}

// Decision is the outcome of Decide.
type Decision struct {
	Allow bool
	// Matched is the intention that decided, nil when the default did.
	Matched *structs.Intention
}

func (d Decision) String() string {
	verb := "denied"
	if d.Allow {
		verb = "allowed"
	}
	if d.Matched == nil {
		return verb + " by the default policy"
	}
	m := d.Matched
	return fmt.Sprintf("%s by intention %s %s/%s => %s/%s", verb, m.ID,
		m.SourceNamespace, m.SourceName, m.DestinationNamespace, m.DestinationName)
}

// Decide tells whether src may connect to dst.
func Decide(intentions []*structs.Intention, src, dst Service, defaultAllow bool) Decision {
	var best *structs.Intention
	bestPrec := 0
	for _, in := range intentions {
		if !matches(in.SourceNamespace, in.SourceName, src) || !matches(in.DestinationNamespace, in.DestinationName, dst) {
			continue
		}
		p := Precedence(in)
		if p > bestPrec || (p == bestPrec && in.Action == structs.IntentionDeny) {
			best, bestPrec = in, p
		}
	}
	if best == nil {
		return Decision{Allow: defaultAllow}
	}
	return Decision{Allow: best.Action == structs.IntentionAllow, Matched: best}
}
