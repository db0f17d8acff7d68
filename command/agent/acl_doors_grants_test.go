package agent

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/structs"
)

// grant is one right a policy can give: a capability in a namespace, or an
// access of the node, agent or operator rule.
type grant struct {
	kind       string // structs.AuthorizeNamespace, AuthorizeNode, AuthorizeAgent, AuthorizeOperator
	capability string
	namespace  string
	access     string
	// anyCapability: any capability in namespace will do (reading the
	// namespace itself); the policy grants list-jobs.
	anyCapability bool
}

func (g grant) String() string {
	if g.kind == structs.AuthorizeNamespace {
		return fmt.Sprintf("%s in %s", g.capability, g.namespace)
	}
	return g.kind + " " + g.access
}

// covers reports whether holding g passes a check for need: the same
// capability in the same namespace, or a coarse write for a read.
// Capabilities are flat (acl/policy.go): none implies another.
func (g grant) covers(need grant) bool {
	if g.kind != need.kind {
		return false
	}
	if g.kind == structs.AuthorizeNamespace {
		return g.namespace == need.namespace && (g.capability == need.capability || need.anyCapability)
	}
	return g.access == need.access || g.access == acl.PolicyWrite
}

// policy is the ACL policy that grants exactly gs; no grant at all is a
// valid policy that grants nothing.
func policy(gs []grant) string {
	var b strings.Builder
	caps := map[string][]string{}
	for _, g := range gs {
		if g.kind == structs.AuthorizeNamespace {
			caps[g.namespace] = append(caps[g.namespace], fmt.Sprintf("%q", g.capability))
			continue
		}
		fmt.Fprintf(&b, "%s {\n  policy = %q\n}\n", g.kind, g.access)
	}
	for _, ns := range sortedKeys(caps) {
		fmt.Fprintf(&b, "namespace %q {\n  capabilities = [%s]\n}\n", ns, strings.Join(caps[ns], ", "))
	}
	if b.Len() == 0 {
		return "namespace \"default\" {\n  policy = \"deny\"\n}\n"
	}
	return b.String()
}

// leastTokens makes (once) a token whose policy grants exactly a set of
// grants.
type leastTokens struct {
	t      *testing.T
	c      doorClient
	mgmt   string
	byKey  map[string]string
	policy int
}

func (lt *leastTokens) token(gs []grant) string {
	lt.t.Helper()
	key := fmt.Sprint(gs)
	if tok, ok := lt.byKey[key]; ok {
		return tok
	}
	lt.policy++
	name := fmt.Sprintf("least-%d", lt.policy)
	body := fmt.Sprintf(`{"rules":%q}`, policy(gs))
	lt.c.must("PUT", "/v1/acl/policy/"+name, lt.mgmt, body)
	var out struct {
		SecretID string `json:"secret_id"`
	}
	decodeJSON(lt.t, lt.c.must("PUT", "/v1/acl/token", lt.mgmt, `{"name":"`+name+`","policies":["`+name+`"]}`), &out)
	lt.byKey[key] = out.SecretID
	return out.SecretID
}

// isRefusal tells a permission refusal (a 401, or a 403 that says
// "Permission denied") from a request that got past the door and failed
// for what it asked (a 404 for a missing object, a 400, a 403 for a file
// path outside the allowed directory, ...).
func isRefusal(code int, body string) bool {
	return code == http.StatusUnauthorized || (code == http.StatusForbidden && strings.Contains(body, "Permission denied"))
}

var (
	deniedCapability = regexp.MustCompile(`missing capability \\?"([a-z-]+)\\?" in namespace \\?"([^"\\]+)\\?"`)
	deniedCoarse     = regexp.MustCompile(`needs (node|agent|operator) (read|write)`)
	deniedAny        = regexp.MustCompile(`needs any capability in namespace \\?"([^"\\]+)\\?"`)
)

// deniedGrant reads the grant a refusal says is missing: every refusal of
// the ACL package names it (acl.PermissionDeniedError). ok is false for a
// refusal that names none (management, or the token's own objects).
func deniedGrant(body string) (grant, bool) {
	if m := deniedCapability.FindStringSubmatch(body); m != nil {
		return grant{kind: structs.AuthorizeNamespace, capability: m[1], namespace: m[2]}, true
	}
	if m := deniedCoarse.FindStringSubmatch(body); m != nil {
		return grant{kind: m[1], access: m[2]}, true
	}
	if m := deniedAny.FindStringSubmatch(body); m != nil { // any one does: list-jobs is the least
		return grant{kind: structs.AuthorizeNamespace, capability: acl.CapabilityListJobs, namespace: m[1], anyCapability: true}, true
	}
	return grant{}, false
}

// ruleGrants are the grants a door's own rule names, in the namespace the
// sample uses: its ?namespace= (the default namespace without one), or for
// an allocation's door the allocation's namespace, which in the fixture is
// always prod.
func ruleGrants(rule accessRule, samplePath string) []grant {
	switch rule.kind {
	case structs.AuthorizeNamespace, structs.AuthorizeAlloc:
		ns := "prod"
		if rule.kind == structs.AuthorizeNamespace {
			ns = structs.DefaultNamespace
			if u, err := url.Parse(samplePath); err == nil && u.Query().Get("namespace") != "" {
				ns = u.Query().Get("namespace")
			}
		}
		out := []grant{{kind: structs.AuthorizeNamespace, capability: rule.capability, namespace: ns}}
		if rule.also != "" {
			out = append(out, grant{kind: structs.AuthorizeNamespace, capability: rule.also, namespace: ns})
		}
		sortGrants(out)
		return out
	}
	return []grant{{kind: rule.kind, access: rule.access}}
}

func sortGrants(gs []grant) {
	sort.Slice(gs, func(i, j int) bool { return gs[i].String() < gs[j].String() })
}

// leastSkippedKinds are the door rules that no policy can satisfy or that
// need none, with why.
var leastSkippedKinds = map[string]string{
	rulePublic:                  "open to all, no token needed (bootstrap, login, the JWKS)",
	ruleStatic:                  "the web UI's files, public (TestUIDoors)",
	ruleMeshProxy:               "proved by the sidecar's own workload identity, which no policy grants (TestMeshProxyConfigDoor)",
	structs.AuthorizeManagement: "management-only: no policy grants it",
}

// otherGrants are the single grants a token may hold for the refusal
// samples: every namespace capability in prod and every coarse access.
func otherGrants() []grant {
	var out []grant
	for _, c := range acl.ValidCapabilities() {
		if c != acl.CapabilityDeny {
			out = append(out, grant{kind: structs.AuthorizeNamespace, capability: c, namespace: "prod"})
		}
	}
	for _, k := range []string{structs.AuthorizeNode, structs.AuthorizeAgent, structs.AuthorizeOperator} {
		out = append(out, grant{kind: k, access: acl.PolicyRead}, grant{kind: k, access: acl.PolicyWrite})
	}
	return out
}

// routedSample is a sample with its route pattern, and a key that names
// the same sample in another fixture (whose IDs differ).
type routedSample struct {
	doorSample
	route, key string
}

// leastOrder lists the samples by route, deletes last (as the management
// pass of TestHTTPDoors) so that they do not take away what the others act
// on.
func leastOrder(samples map[string][]doorSample) []routedSample {
	var first, last []routedSample
	for _, route := range sortedKeys(samples) {
		for i, s := range samples[route] {
			rs := routedSample{s, route, fmt.Sprintf("%s %s #%d", s.method, route, i)}
			if s.method == http.MethodDelete {
				last = append(last, rs)
			} else {
				first = append(first, rs)
			}
		}
	}
	return append(first, last...)
}

// ownerOnly are the refusals of the rules that let in a management token
// or the token that owns the object (its own policy or role, a user's own
// login), which no policy grants.
var ownerOnly = []string{"is not one of the token's", "own login token"}

func isOwnerOnly(body string) bool {
	for _, s := range ownerOnly {
		if strings.Contains(body, s) {
			return true
		}
	}
	return false
}
