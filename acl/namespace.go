package acl

import (
	"fmt"
	"strings"
)

// DefaultNamespace is the namespace "" stands for.
const DefaultNamespace = "default"

// maxNamespaceLen bounds namespace names and rule patterns.
const maxNamespaceLen = 128

// ValidateNamespaceName checks a real namespace's name: 1 to 128 letters,
// digits, '-' or '_'. Globs are for rules, not namespaces.
func ValidateNamespaceName(name string) error {
	return validateName(name, false)
}

// validatePattern checks a namespace rule's name, which may hold '*'.
func validatePattern(name string) error {
	return validateName(name, true)
}

func validateName(name string, glob bool) error {
	what := "namespace name"
	if glob {
		what = "namespace rule name"
	}
	if name == "" {
		return fmt.Errorf("%s is empty", what)
	}
	if len(name) > maxNamespaceLen {
		return fmt.Errorf("%s %.20q... is %d characters long; the most is %d", what, name, len(name), maxNamespaceLen)
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		case r == '*' && glob:
		case r == '*':
			return fmt.Errorf("namespace name %q holds '*': a namespace's name cannot be a glob", name)
		default:
			allowed := "letters, digits, '-' and '_'"
			if glob {
				allowed += ", and '*' as a wildcard"
			}
			return fmt.Errorf("%s %q holds %q; only %s are allowed", what, name, r, allowed)
		}
	}
	return nil
}

// glob is a compiled namespace pattern in which '*' matches any run of
// characters, the empty one included.
type glob struct {
	pattern string
	prefix  string   // literal text before the first '*'
	middle  []string // literal runs between stars, in order
	suffix  string   // literal text after the last '*'
	// literal counts the characters that are not '*': the more, the
	// closer the match, because '*' then matches fewer characters.
	literal int
	exact   bool // no '*' at all
}

func compileGlob(pattern string) glob {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		// No '*': only the name itself matches. New keeps such names
		// out of the globs, but a glob must stay correct on its own.
		return glob{pattern: pattern, prefix: pattern, suffix: "", literal: len(pattern), exact: true}
	}
	g := glob{
		pattern: pattern,
		prefix:  parts[0],
		suffix:  parts[len(parts)-1],
		literal: len(pattern) - (len(parts) - 1),
	}
	for _, p := range parts[1 : len(parts)-1] {
		if p != "" {
			g.middle = append(g.middle, p)
		}
	}
	return g
}

// match reports whether s matches. Taking each middle run at its leftmost
// place is enough: it leaves the most room for the runs after it.
func (g *glob) match(s string) bool {
	if g.exact {
		return s == g.pattern
	}
	if len(s) < len(g.prefix)+len(g.suffix) ||
		!strings.HasPrefix(s, g.prefix) || !strings.HasSuffix(s, g.suffix) {
		return false
	}
	rest := s[len(g.prefix) : len(s)-len(g.suffix)]
	for _, m := range g.middle {
		i := strings.Index(rest, m)
		if i < 0 {
			return false
		}
		rest = rest[i+len(m):]
	}
	return true
}

// closer orders globs so that the first one matching a namespace is the one
// that applies: most literal characters, then the longer literal prefix,
// then byte order of the pattern.
func closer(a, b *glob) bool {
	if a.literal != b.literal {
		return a.literal > b.literal
	}
	if len(a.prefix) != len(b.prefix) {
		return len(a.prefix) > len(b.prefix)
	}
	return a.pattern < b.pattern
}
