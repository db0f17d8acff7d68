package acl

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	cases := []struct {
		name  string
		rules string
		want  *Policy
	}{
		{
			name: "one-line blocks as the docs write them",
			rules: `namespace "prod" { policy = "write"  capabilities = ["submit-privileged-job"] }
namespace "dev-*" { policy = "read" }
node { policy = "read" }   agent { policy = "write" }   operator { policy = "read" }`,
			want: &Policy{
				Namespaces: []*NamespaceRule{
					{Name: "prod", Policy: PolicyWrite, Capabilities: []string{CapabilitySubmitPrivilegedJob}},
					{Name: "dev-*", Policy: PolicyRead},
				},
				Node: PolicyRead, Agent: PolicyWrite, Operator: PolicyRead,
			},
		},
		{
			name: "multi-line blocks with comments",
			rules: `
# the web team
namespace "web" {
  policy       = "read"   // base
  capabilities = [
    "read-logs",
    "alloc-exec",  # trailing comma is fine
  ]
}
/* nothing for nodes */
operator {
  policy = "deny"
}
`,
			want: &Policy{
				Namespaces: []*NamespaceRule{
					{Name: "web", Policy: PolicyRead, Capabilities: []string{CapabilityReadLogs, CapabilityAllocExec}},
				},
				Operator: PolicyDeny,
			},
		},
		{
			name:  "capabilities without policy, deny capability",
			rules: `namespace "*" { capabilities = ["list-jobs"] } namespace "secret" { capabilities = ["deny"] }`,
			want: &Policy{Namespaces: []*NamespaceRule{
				{Name: "*", Capabilities: []string{CapabilityListJobs}},
				{Name: "secret", Capabilities: []string{CapabilityDeny}},
			}},
		},
		{
			name:  "capabilities before policy on one line",
			rules: `namespace "a_b-9" { capabilities = ["dispatch-job"] policy = "read" }`,
			want: &Policy{Namespaces: []*NamespaceRule{
				{Name: "a_b-9", Policy: PolicyRead, Capabilities: []string{CapabilityDispatchJob}},
			}},
		},
		{
			name:  "every capability is accepted",
			rules: `namespace "all" { capabilities = ["` + strings.Join(ValidCapabilities(), `", "`) + `"] }`,
			want: &Policy{Namespaces: []*NamespaceRule{
				{Name: "all", Capabilities: ValidCapabilities()},
			}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.rules)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Parse =\n%s\nwant\n%s", dumpPolicy(got), dumpPolicy(tc.want))
			}
		})
	}
}

func dumpPolicy(p *Policy) string {
	var b strings.Builder
	for _, n := range p.Namespaces {
		b.WriteString("  namespace " + n.Name + " policy=" + n.Policy + " caps=" + strings.Join(n.Capabilities, ",") + "\n")
	}
	b.WriteString("  node=" + p.Node + " agent=" + p.Agent + " operator=" + p.Operator)
	return b.String()
}

func TestParseErrors(t *testing.T) {
	validPolicies := "valid values: deny, read, write"
	validCaps := "valid values: " + strings.Join(ValidCapabilities(), ", ")
	cases := []struct {
		name  string
		rules string
		// want are the problems, in order; each holds one or more
		// fragments, split by '|', that the problem's text must contain.
		want []string
	}{
		{"empty", "", []string{"policy has no rules"}},
		{"only comments and blank lines", "# nothing\n\n// here\n", []string{"policy has no rules"}},
		{"unknown namespace policy", `namespace "prod" { policy = "wrte" }`,
			[]string{`line 1: unknown policy "wrte" in namespace "prod"; ` + validPolicies}},
		{"unknown node policy on line 3", "\n\nnode { policy = \"admin\" }",
			[]string{`line 3: unknown policy "admin" in node; ` + validPolicies}},
		{"unknown capability on its own line", "namespace \"prod\" {\n  capabilities = [\n    \"read-job\",\n    \"submit-jobs\",\n  ]\n}",
			[]string{`line 4: unknown capability "submit-jobs" in namespace "prod"; ` + validCaps}},
		{"unknown block", "namespace \"a\" { policy = \"read\" }\nquota { policy = \"read\" }",
			[]string{`line 2: unknown block "quota"; valid blocks: namespace "<name>", node, agent, operator`}},
		{"top-level attribute", `policy = "write"`,
			[]string{`line 1: unexpected attribute "policy" at the top level; valid blocks`}},
		{"unknown attribute in namespace", "namespace \"a\" {\n  policy = \"read\"\n  varz = 1\n}",
			[]string{`line 3: unknown attribute "varz" in namespace "a"; valid attributes: policy, capabilities`}},
		{"capabilities in operator", `operator { policy = "read" capabilities = ["read-job"] }`,
			[]string{`line 1: unknown attribute "capabilities" in operator; valid attributes: policy`}},
		{"nested block", "namespace \"a\" {\n  policy = \"read\"\n  variables { path = \"*\" }\n}",
			[]string{`line 3: unexpected block "variables" in namespace "a"`}},
		{"unquoted policy", `namespace "a" { policy = write }`,
			[]string{`line 1: policy of namespace "a" must be a quoted string; ` + validPolicies}},
		{"capabilities not a list", `namespace "a" { capabilities = "read-job" }`,
			[]string{`line 1: capabilities of namespace "a" must be a list of quoted strings`}},
		{"namespace without name", `namespace { policy = "read" }`,
			[]string{`line 1: a namespace block takes one name`}},
		{"namespace with two names", `namespace "a" "b" { policy = "read" }`,
			[]string{`line 1: a namespace block takes one name`}},
		{"node with a name", `node "n1" { policy = "read" }`,
			[]string{`line 1: a node block takes no name`}},
		{"empty namespace name", `namespace "" { policy = "read" }`,
			[]string{`line 1: namespace rule name is empty`}},
		{"bad namespace characters", `namespace "prod/eu" { policy = "read" }`,
			[]string{`line 1: namespace rule name "prod/eu" holds '/'`}},
		{"namespace too long", `namespace "` + strings.Repeat("a", 129) + `" { policy = "read" }`,
			[]string{`line 1: namespace rule name|is 129 characters long; the most is 128`}},
		{"namespace grants nothing", `namespace "a" {}`,
			[]string{`line 1: namespace "a" grants nothing`}},
		{"node without policy", "\nagent {}",
			[]string{`line 2: agent needs a policy; ` + validPolicies}},
		{"duplicate namespace", "namespace \"a\" { policy = \"read\" }\n\nnamespace \"a\" { policy = \"write\" }",
			[]string{`line 3: namespace "a" is already given a rule on line 1`}},
		{"duplicate operator on one line", `operator { policy = "read" } operator { policy = "write" }`,
			[]string{`line 1: operator is already given a rule on line 1`}},
		{"syntax error", "namespace \"a\" {\n  policy = \"read\"\n",
			[]string{`line 1: Unclosed configuration block`}},
		{"several problems in text order", "node { policy = \"x\" }\nbogus {}\nnamespace \"a\" { capabilities = [\"y\", \"read-job\", \"z\"] }",
			[]string{
				`line 1: unknown policy "x" in node`,
				`line 2: unknown block "bogus"`,
				`line 3: unknown capability "y"`,
				`line 3: unknown capability "z"`,
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.rules)
			if err == nil {
				t.Fatalf("Parse succeeded (%s), want an error", dumpPolicy(p))
			}
			if p != nil {
				t.Errorf("Parse returned a policy with its error")
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			if len(pe.Problems) != len(tc.want) {
				t.Fatalf("%d problems, want %d:\n%s", len(pe.Problems), len(tc.want), strings.Join(pe.Problems, "\n"))
			}
			for i, w := range tc.want {
				for _, part := range strings.Split(w, "|") {
					if !strings.Contains(pe.Problems[i], part) {
						t.Errorf("problem %d = %q\nwant it to contain %q", i, pe.Problems[i], part)
					}
				}
			}
			if !strings.HasPrefix(err.Error(), "invalid ACL policy: ") {
				t.Errorf("error text %q lacks the prefix", err)
			}
		})
	}
}

// The longest name accepted is 128 characters (129 is refused above).
func TestParseLongestNamespace(t *testing.T) {
	if _, err := Parse(`namespace "` + strings.Repeat("a", 128) + `" { policy = "read" }`); err != nil {
		t.Fatalf("a 128-character name: %v", err)
	}
}

func TestSplitLinesKeepsUserLines(t *testing.T) {
	// Problems after several inserted line breaks are still reported on
	// the user's line, not on the split text's.
	rules := "node { policy = \"read\" } agent { policy = \"read\" } operator { policy = \"read\" }\n" +
		"namespace \"a\" { policy = \"read\" capabilities = [\"list-jobs\"] } namespace \"b\" { policy = \"nope\" }"
	_, err := Parse(rules)
	if err == nil || !strings.Contains(err.Error(), `line 2: unknown policy "nope" in namespace "b"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestSplitLinesLeavesValidMultiLineAlone(t *testing.T) {
	src := "namespace \"a\" {\n  policy = \"read\"\n}\n"
	if got, ins := splitLines(src); got != src || ins != nil {
		t.Fatalf("splitLines changed valid text: %q %v", got, ins)
	}
}

func TestSplitLinesKeepsObjectsAndTemplates(t *testing.T) {
	// Equals signs inside an object or a template do not start arguments.
	src := `namespace "a" { capabilities = [for k, v in { x = "read-job" } : "${v}"] policy = "read" }`
	p, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	r := p.Namespaces[0]
	if r.Policy != PolicyRead || !reflect.DeepEqual(r.Capabilities, []string{CapabilityReadJob}) {
		t.Fatalf("rule = %+v", *r)
	}
}
