package acl

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// mustACL parses each rules text as one policy and compiles them together.
func mustACL(t testing.TB, rules ...string) *ACL {
	t.Helper()
	var policies []*Policy
	for _, r := range rules {
		p, err := Parse(r)
		if err != nil {
			t.Fatalf("Parse(%q): %v", r, err)
		}
		policies = append(policies, p)
	}
	return New(policies)
}

var (
	readSet  = []string{CapabilityListJobs, CapabilityReadJob}
	writeSet = append(append([]string(nil), readSet...), CapabilitySubmitJob, CapabilityDispatchJob,
		CapabilityReadLogs, CapabilityAllocExec, CapabilityAllocLifecycle, CapabilityRunCommand, CapabilityScaleJob)
)

// grantedIn lists the capabilities a allows in ns, in ValidCapabilities order.
func grantedIn(a *ACL, ns string) []string {
	var got []string
	for _, c := range ValidCapabilities() {
		if a.AllowNamespaceOperation(ns, c) {
			got = append(got, c)
		}
	}
	return got
}

func TestCapabilityBitsMatchTheList(t *testing.T) {
	// capBit's switch and allCapabilities must agree, or error messages
	// and grants would drift apart.
	seen := capSet(0)
	for i, c := range allCapabilities {
		b, ok := capBit(c)
		if c == CapabilityDeny {
			if ok || b != 0 {
				t.Errorf("deny has a bit")
			}
			continue
		}
		if !ok || b != 1<<i {
			t.Errorf("capBit(%q) = %b, %v; want bit %d", c, b, ok, i)
		}
		if seen&b != 0 {
			t.Errorf("capBit(%q) reuses a bit", c)
		}
		seen |= b
	}
	if _, ok := capBit("bogus"); ok {
		t.Errorf("unknown capability has a bit")
	}
	// ValidCapabilities hands out a copy.
	v := ValidCapabilities()
	v[0] = "changed"
	if ValidCapabilities()[0] != CapabilityDeny {
		t.Errorf("ValidCapabilities shares its slice")
	}
}

func TestNamespacePolicyExpansion(t *testing.T) {
	cases := []struct {
		name  string
		rules []string
		ns    string
		want  []string
	}{
		{"read", []string{`namespace "a" { policy = "read" }`}, "a", readSet},
		{"write", []string{`namespace "a" { policy = "write" }`}, "a", writeSet},
		{"write does not imply privileged jobs", []string{`namespace "a" { policy = "write" }`}, "a", writeSet},
		{"write plus privileged", []string{`namespace "a" { policy = "write" capabilities = ["submit-privileged-job"] }`}, "a",
			// ValidCapabilities order: scale-job came after submit-privileged-job.
			append(append([]string(nil), writeSet[:len(writeSet)-1]...), CapabilitySubmitPrivilegedJob, CapabilityScaleJob)},
		{"capabilities alone", []string{`namespace "a" { capabilities = ["read-logs", "alloc-exec"] }`}, "a",
			[]string{CapabilityReadLogs, CapabilityAllocExec}},
		{"read plus one", []string{`namespace "a" { policy = "read" capabilities = ["dispatch-job"] }`}, "a",
			[]string{CapabilityListJobs, CapabilityReadJob, CapabilityDispatchJob}},
		{"deny policy", []string{`namespace "a" { policy = "deny" }`}, "a", nil},
		{"deny capability beats write in the same rule", []string{`namespace "a" { policy = "write" capabilities = ["deny"] }`}, "a", nil},
		{"deny policy beats capabilities in the same rule", []string{`namespace "a" { policy = "deny" capabilities = ["read-job"] }`}, "a", nil},
		{"other namespace", []string{`namespace "a" { policy = "write" }`}, "b", nil},
		{"empty namespace is default", []string{`namespace "default" { policy = "read" }`}, "", readSet},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := mustACL(t, tc.rules...)
			if got := grantedIn(a, tc.ns); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("granted in %q = %v\nwant %v", tc.ns, got, tc.want)
			}
			if got, want := a.AllowNamespace(tc.ns), len(tc.want) > 0; got != want {
				t.Errorf("AllowNamespace(%q) = %v, want %v", tc.ns, got, want)
			}
		})
	}
}

func TestMergeNamespaceRules(t *testing.T) {
	cases := []struct {
		name     string
		policies []string
		ns       string
		want     []string
	}{
		{"read and write give write",
			[]string{`namespace "a" { policy = "read" }`, `namespace "a" { policy = "write" }`}, "a", writeSet},
		{"capabilities add up across policies",
			[]string{`namespace "a" { capabilities = ["read-logs"] }`, `namespace "a" { capabilities = ["alloc-exec", "read-job"] }`}, "a",
			[]string{CapabilityReadJob, CapabilityReadLogs, CapabilityAllocExec}},
		{"deny in one policy wins over write in another",
			[]string{`namespace "a" { policy = "write" }`, `namespace "a" { policy = "deny" }`}, "a", nil},
		{"deny wins whatever the order",
			[]string{`namespace "a" { policy = "deny" }`, `namespace "a" { policy = "write" }`}, "a", nil},
		{"deny capability wins across policies",
			[]string{`namespace "a" { capabilities = ["deny"] }`, `namespace "a" { policy = "read" capabilities = ["submit-privileged-job"] }`}, "a", nil},
		{"glob deny wins over the same glob's grant",
			[]string{`namespace "p-*" { policy = "write" }`, `namespace "p-*" { policy = "deny" }`}, "p-1", nil},
		{"exact deny hides a glob grant of another policy",
			[]string{`namespace "*" { policy = "write" }`, `namespace "secret" { policy = "deny" }`}, "secret", nil},
		{"exact deny leaves other namespaces to the glob",
			[]string{`namespace "*" { policy = "write" }`, `namespace "secret" { policy = "deny" }`}, "open", writeSet},
		{"a broader deny does not cancel a closer grant",
			[]string{`namespace "*" { policy = "deny" }`, `namespace "prod" { policy = "read" }`}, "prod", readSet},
		{"policies without namespaces change nothing",
			[]string{`node { policy = "write" }`, `namespace "a" { policy = "read" }`}, "a", readSet},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := mustACL(t, tc.policies...)
			if got := grantedIn(a, tc.ns); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("granted in %q = %v\nwant %v", tc.ns, got, tc.want)
			}
		})
	}
}

func TestMergeCoarseRules(t *testing.T) {
	type allowed struct{ read, write bool }
	none, ro, rw := allowed{}, allowed{true, false}, allowed{true, true}
	cases := []struct {
		name     string
		policies []string
		node     allowed
		agent    allowed
		operator allowed
	}{
		{"nothing", []string{`namespace "a" { policy = "read" }`}, none, none, none},
		{"read", []string{`node { policy = "read" } agent { policy = "read" } operator { policy = "read" }`}, ro, ro, ro},
		{"write implies read", []string{`node { policy = "write" } agent { policy = "write" } operator { policy = "write" }`}, rw, rw, rw},
		{"read and write give write",
			[]string{`node { policy = "read" } operator { policy = "write" }`, `node { policy = "write" } operator { policy = "read" }`}, rw, none, rw},
		{"deny beats write and read",
			[]string{`node { policy = "write" } agent { policy = "read" } operator { policy = "write" }`,
				`node { policy = "deny" } agent { policy = "deny" }`}, none, none, rw},
		{"deny first still wins", []string{`operator { policy = "deny" }`, `operator { policy = "write" }`}, none, none, none},
		{"rules are independent", []string{`agent { policy = "write" }`}, none, rw, none},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := mustACL(t, tc.policies...)
			check := func(what string, gotRead, gotWrite bool, want allowed) {
				if gotRead != want.read || gotWrite != want.write {
					t.Errorf("%s read=%v write=%v, want read=%v write=%v", what, gotRead, gotWrite, want.read, want.write)
				}
			}
			check("node", a.AllowNodeRead(), a.AllowNodeWrite(), tc.node)
			check("agent", a.AllowAgentRead(), a.AllowAgentWrite(), tc.agent)
			check("operator", a.AllowOperatorRead(), a.AllowOperatorWrite(), tc.operator)
			// The Check methods agree with the Allow methods.
			check("CheckNode", a.CheckNode(PolicyRead) == nil, a.CheckNode(PolicyWrite) == nil, tc.node)
			check("CheckAgent", a.CheckAgent(PolicyRead) == nil, a.CheckAgent(PolicyWrite) == nil, tc.agent)
			check("CheckOperator", a.CheckOperator(PolicyRead) == nil, a.CheckOperator(PolicyWrite) == nil, tc.operator)
		})
	}
}

func TestGlobSelection(t *testing.T) {
	// Each rule grants one distinct capability, so the capability granted
	// tells which rule was chosen.
	a := New([]*Policy{{Namespaces: []*NamespaceRule{
		{Name: "*", Capabilities: []string{CapabilityListJobs}},
		{Name: "prod-*", Capabilities: []string{CapabilityReadJob}},
		{Name: "prod-eu-*", Capabilities: []string{CapabilitySubmitJob}},
		{Name: "*-eu-1", Capabilities: []string{CapabilityDispatchJob}},
		{Name: "prod-eu-1", Capabilities: []string{CapabilityReadLogs}},
		{Name: "*-eu", Capabilities: []string{CapabilityAllocExec}},
		{Name: "x*y*z", Capabilities: []string{CapabilityAllocLifecycle}},
		{Name: "x*z*z", Capabilities: []string{CapabilityRunCommand}},
	}}})
	cases := []struct {
		ns, want, why string
	}{
		{"prod-eu-1", CapabilityReadLogs, "an exact rule wins over every glob"},
		{"prod-eu-2", CapabilitySubmitJob, "prod-eu-* has more literal characters than prod-*"},
		{"prod-us", CapabilityReadJob, "prod-* beats *"},
		{"dev", CapabilityListJobs, "only * matches"},
		{"", CapabilityListJobs, `"" is default, which only * matches`},
		{"staging-eu-1", CapabilityDispatchJob, "*-eu-1 has 5 literal characters, * none"},
		{"prod-eu", CapabilityReadJob, "prod-* and *-eu tie on literals; the longer prefix wins"},
		{"test-eu", CapabilityAllocExec, "*-eu matches, prod-* does not"},
		{"xayaz", CapabilityAllocLifecycle, "x*y*z matches, x*z*z does not"},
		{"xzzyzz", CapabilityAllocLifecycle, "both tie on literals and prefix; byte order picks x*y*z"},
	}
	for _, tc := range cases {
		t.Run(tc.ns, func(t *testing.T) {
			got := grantedIn(a, tc.ns)
			if len(got) != 1 || got[0] != tc.want {
				t.Fatalf("granted in %q = %v, want [%s] (%s)", tc.ns, got, tc.want, tc.why)
			}
		})
	}
}

func TestGlobSelectionIgnoresRuleOrder(t *testing.T) {
	rules := []*NamespaceRule{
		{Name: "b*", Capabilities: []string{CapabilityListJobs}},
		{Name: "*b", Capabilities: []string{CapabilityReadJob}},
		{Name: "a*", Capabilities: []string{CapabilitySubmitJob}},
		{Name: "*a", Capabilities: []string{CapabilityReadLogs}},
	}
	var first []string
	for i := range rules {
		// Rotate the rules and split them across policies.
		rot := append(append([]*NamespaceRule(nil), rules[i:]...), rules[:i]...)
		a := New([]*Policy{{Namespaces: rot[:2]}, {Namespaces: rot[2:]}})
		got := []string{strings.Join(grantedIn(a, "ba"), ","), strings.Join(grantedIn(a, "ab"), ",")}
		if first == nil {
			first = got
			// "ba": b* and *a tie on literal characters (one each);
			// b* has the longer prefix, so it wins although "*a" sorts
			// first in byte order. Likewise a* for "ab".
			if got[0] != CapabilityListJobs || got[1] != CapabilitySubmitJob {
				t.Fatalf("ba -> %s, ab -> %s; want the prefix globs", got[0], got[1])
			}
			continue
		}
		if strings.Join(got, "|") != strings.Join(first, "|") {
			t.Fatalf("rotation %d: %v, first %v", i, got, first)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"a*", "a", true},
		{"a*", "ab", true},
		{"a*", "ba", false},
		{"*a", "ba", true},
		{"*a", "ab", false},
		{"a*a", "a", false}, // prefix and suffix may not overlap
		{"a*a", "aa", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "acb", false},
		{"a**b", "ab", true},
		{"*ab*ab*", "abab", true},
		{"*ab*ab*", "aba", false},
		{"*-*-*", "a-b-c", true},
		{"*-*-*", "a-b", false},
		{"prod", "prod", true},
		{"prod", "prod2", false},
	}
	for _, tc := range cases {
		g := compileGlob(tc.pattern)
		if got := g.match(tc.s); got != tc.want {
			t.Errorf("%q matches %q = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestStarNamespaceIsNotANamespace(t *testing.T) {
	// "*" is the "all namespaces" marker of list requests, not a name; a
	// rule "*" must not grant it literally (lists are filtered per real
	// namespace instead).
	a := mustACL(t, `namespace "*" { policy = "write" }  namespace "p*" { policy = "read" }`)
	for _, ns := range []string{"*", "p*", "prod*"} {
		if a.AllowNamespace(ns) || a.AllowNamespaceOperation(ns, CapabilityListJobs) {
			t.Errorf("namespace %q is allowed", ns)
		}
	}
	if !Management().AllowNamespaceOperation("*", CapabilityListJobs) {
		t.Errorf("management is refused namespace *")
	}
}

func TestManagement(t *testing.T) {
	m := Management()
	if !m.IsManagement() {
		t.Fatal("Management().IsManagement() = false")
	}
	for _, c := range ValidCapabilities() {
		want := c != CapabilityDeny
		if got := m.AllowNamespaceOperation("any", c); got != want {
			t.Errorf("management %q = %v, want %v", c, got, want)
		}
	}
	if m.AllowNamespaceOperation("any", "made-up") {
		t.Errorf("management is granted an unknown capability")
	}
	for name, ok := range map[string]bool{
		"namespace":     m.AllowNamespace("x"),
		"node read":     m.AllowNodeRead(),
		"node write":    m.AllowNodeWrite(),
		"agent read":    m.AllowAgentRead(),
		"agent write":   m.AllowAgentWrite(),
		"operator read": m.AllowOperatorRead(),
		"operator wrt":  m.AllowOperatorWrite(),
	} {
		if !ok {
			t.Errorf("management refused %s", name)
		}
	}
	for _, err := range []error{
		m.CheckNamespace("x", CapabilitySubmitPrivilegedJob), m.CheckNode(PolicyWrite),
		m.CheckAgent(PolicyWrite), m.CheckOperator(PolicyWrite), m.CheckManagement("restore a snapshot"),
	} {
		if err != nil {
			t.Errorf("management check: %v", err)
		}
	}
	// Policies never make a management ACL, whatever they grant.
	all := mustACL(t, `namespace "*" { policy = "write" capabilities = ["submit-privileged-job"] }
node { policy = "write" } agent { policy = "write" } operator { policy = "write" }`)
	if all.IsManagement() || all.CheckManagement("bootstrap the ACL system") == nil {
		t.Errorf("a client ACL with every rule passes as management")
	}
}

func TestDenyByDefault(t *testing.T) {
	var nilACL *ACL
	for name, a := range map[string]*ACL{
		"nil":         nilACL,
		"no policies": New(nil),
		"nil policy":  New([]*Policy{nil, {Namespaces: []*NamespaceRule{nil}}}),
		"zero value":  {},
	} {
		t.Run(name, func(t *testing.T) {
			if a.IsManagement() {
				t.Errorf("IsManagement")
			}
			for _, c := range ValidCapabilities() {
				if a.AllowNamespaceOperation("default", c) {
					t.Errorf("allowed %q", c)
				}
			}
			if a.AllowNamespace("default") || a.AllowNodeRead() || a.AllowNodeWrite() ||
				a.AllowAgentRead() || a.AllowAgentWrite() || a.AllowOperatorRead() || a.AllowOperatorWrite() {
				t.Errorf("an Allow method allowed")
			}
			for _, err := range []error{
				a.CheckNamespace("", CapabilityReadJob), a.CheckNode(PolicyRead), a.CheckAgent(PolicyRead),
				a.CheckOperator(PolicyRead), a.CheckManagement(""),
			} {
				if !IsPermissionDenied(err) {
					t.Errorf("check returned %v, want a denial", err)
				}
			}
		})
	}
}

func TestNewIgnoresUnknownValues(t *testing.T) {
	// Hand-built policies that Parse would refuse grant nothing.
	a := New([]*Policy{{
		Namespaces: []*NamespaceRule{{Name: "a", Policy: "admin", Capabilities: []string{"everything"}}},
		Node:       "admin", Agent: "root", Operator: "yes",
	}})
	if a.AllowNamespace("a") || a.AllowNodeRead() || a.AllowAgentRead() || a.AllowOperatorRead() {
		t.Fatal("unknown values granted something")
	}
	// A hand-built rule with an empty name stands for the default namespace.
	b := New([]*Policy{{Namespaces: []*NamespaceRule{{Policy: PolicyRead}}}})
	if !b.AllowNamespaceOperation("default", CapabilityReadJob) || !b.AllowNamespaceOperation("", CapabilityReadJob) {
		t.Fatal("rule with empty name does not apply to default")
	}
}

func TestCheckUnknownAccessIsDenied(t *testing.T) {
	a := mustACL(t, `node { policy = "write" }`)
	for _, access := range []string{"", "deny", "admin", "WRITE"} {
		if err := a.CheckNode(access); err == nil {
			t.Errorf("CheckNode(%q) allowed", access)
		}
	}
	if err := a.CheckNamespace("x", "made-up"); err == nil {
		t.Errorf("unknown capability allowed")
	}
}

func TestConcurrentUse(t *testing.T) {
	a := mustACL(t, `namespace "prod-*" { policy = "write" } namespace "dev" { policy = "read" } operator { policy = "read" }`)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				ns := fmt.Sprintf("prod-%d", (g*1000+i)%37)
				if !a.AllowNamespaceOperation(ns, CapabilitySubmitJob) || a.AllowNamespaceOperation("dev", CapabilitySubmitJob) ||
					!a.AllowOperatorRead() || a.AllowOperatorWrite() {
					errs <- ns
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for ns := range errs {
		t.Errorf("wrong answer under concurrency for %s", ns)
	}
}

func TestValidateNamespaceName(t *testing.T) {
	cases := []struct {
		name string
		want string // "" for valid, else a fragment of the error
	}{
		{"default", ""},
		{"prod-eu_1", ""},
		{"A9", ""},
		{strings.Repeat("n", 128), ""},
		{"", "namespace name is empty"},
		{strings.Repeat("n", 129), "129 characters long; the most is 128"},
		{"prod-*", `namespace name "prod-*" holds '*': a namespace's name cannot be a glob`},
		{"*", "cannot be a glob"},
		{"a b", `namespace name "a b" holds ' '; only letters, digits, '-' and '_' are allowed`},
		{"a/b", `holds '/'`},
		{"é", `holds 'é'`},
		{"a.b", `holds '.'`},
	}
	for _, tc := range cases {
		err := ValidateNamespaceName(tc.name)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("ValidateNamespaceName(%q) = %v, want nil", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("ValidateNamespaceName(%q) = %v, want %q", tc.name, err, tc.want)
		}
	}
}
