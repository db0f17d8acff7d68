package acl

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// problemLine is how every problem of a non-empty policy starts.
var problemLine = regexp.MustCompile(`^line ([1-9][0-9]*): `)

// FuzzParse feeds Parse arbitrary text: it must never panic, must return
// either a policy or a *ParseError whose problems name a line of the input,
// and splitLines must only ever insert line breaks, never into HCL that
// parsed without them.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		`namespace "prod" { policy = "write"  capabilities = ["submit-privileged-job"] }`,
		`node { policy = "read" }   agent { policy = "write" }   operator { policy = "read" }`,
		"namespace \"a\" {\n  policy = \"read\" # c { } =\n  capabilities = [\n    \"read-logs\", // x\n  ]\n}\n",
		`namespace "a" { policy = "re}ad" capabilities = ["{", "=", "}"] }`,
		`namespace "a" { /* } x = 1 { */ policy = "read" }`,
		"namespace \"a\" { policy = <<EOT\nread } agent { x = 1\nEOT\n}",
		"namespace \"a\" { policy = <<-EOT\n  read\n  EOT\n capabilities = [] }",
		`namespace "a" { capabilities = [for k, v in { x = "read-job" } : "${v}"] policy = "read" }`,
		`namespace "a" { policy = "%{ if true }read%{ endif }" }`,
		`namespace "a" { policy = "read`,
		`namespace "a" { policy = ] x = 1 } node {`,
		`} } } { { {`,
		`= = = "`,
		"namespace \"a\" {\r\n policy = \"read\" }\r\n",
		"\xff\xfe namespace",
		`a = b = c d = e`,
		`namespace "*" { policy = "deny" } namespace "*" { policy = "read" }`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, rules string) {
		split, inserted := splitLines(rules)
		if strings.ReplaceAll(split, "\n", "") != strings.ReplaceAll(rules, "\n", "") ||
			len(split) != len(rules)+len(inserted) {
			t.Fatalf("splitLines(%q) = %q, %v: not only line breaks inserted", rules, split, inserted)
		}
		if _, d := hclsyntax.ParseConfig([]byte(rules), policyFileName, hcl.InitialPos); !d.HasErrors() {
			if _, d := hclsyntax.ParseConfig([]byte(split), policyFileName, hcl.InitialPos); d.HasErrors() {
				t.Fatalf("splitLines made valid HCL %q invalid: %q: %v", rules, split, d)
			}
		}
		p, err := Parse(rules)
		if (p == nil) == (err == nil) {
			t.Fatalf("Parse(%q) = %v, %v: want exactly one of a policy and an error", rules, p, err)
		}
		if err == nil {
			return
		}
		var pe *ParseError
		if !errors.As(err, &pe) || len(pe.Problems) == 0 {
			t.Fatalf("Parse(%q): error %T %v is not a *ParseError with problems", rules, err, err)
		}
		lines := strings.Count(rules, "\n") + 1
		for _, pr := range pe.Problems {
			if strings.HasPrefix(pr, "policy has no rules") {
				continue
			}
			m := problemLine.FindStringSubmatch(pr)
			if m == nil {
				t.Fatalf("Parse(%q): problem %q does not start with its line", rules, pr)
			}
			n, _ := strconv.Atoi(m[1])
			if n > lines {
				t.Fatalf("Parse(%q): problem %q names line %d of %d", rules, pr, n, lines)
			}
		}
	})
}
