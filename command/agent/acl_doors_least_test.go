package agent

import (
	"net/http"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// leastSeveral lists the samples whose least-privilege token must hold
// more than one grant, with why. Any other sample that needs more than one
// fails the test: a route should need one right.
var leastSeveral = map[string]string{
	// The sample job runs raw_exec: a privileged job (job-spec.md#privileged-jobs).
	"PUT /v1/jobs":                          "a privileged job needs submit-privileged-job on top of submit-job",
	"POST /v1/jobs":                         "a privileged job needs submit-privileged-job on top of submit-job",
	"PUT /v1/job/web/plan?namespace=prod":   "planning a privileged job is checked as submitting it",
	"PUT /v1/job/web/revert?namespace=prod": "reverting to a privileged version is checked as submitting it",
	// App Mesh's routes read the application's job first (read-job), then
	// do what their permission names (appmeshapi.Permissions); the
	// applications run raw_exec.
	"GET /appmesh/applications":           "app-view-all: list-jobs, read-job",
	"PUT /appmesh/app/amx":                "app-reg: read-job, submit-job, submit-privileged-job",
	"POST /appmesh/app/amx/disable":       "app-control: read-job, submit-job",
	"POST /appmesh/app/amx/enable":        "app-control, and submit-privileged-job: enabling registers the raw_exec job again",
	"POST /appmesh/app/run":               "app-run-async: read-job, run-command, submit-privileged-job",
	"POST /appmesh/app/syncrun?timeout=5": "app-run-sync: read-job, run-command, submit-privileged-job, read-logs",
}

// TestHTTPDoorsLeastPrivilege completes TestHTTPDoors with the token it
// lacks: one that holds exactly what a route needs and nothing more. For a
// door whose own rule names a grant (a capability in the namespace the
// request uses or the allocation's, or node, agent or operator access),
// the token holds that grant. For a door that leaves the check to the
// RPCs its handler makes (viaRPC), the token starts with no rights and
// gains, one refusal at a time, the grant each refusal names (every
// refusal of the servers' rules says what is missing), so what the route
// really needs is found from the RPC rule table itself
// (TestRPCDoorsLeastPrivilege checks each rule's declared grant). Each
// sample must get past the door with that token (it may still fail for
// what it asks: a 404, a 400, but not a permission refusal), and a token
// holding another single grant that does not cover the route's must be
// refused and write nothing. Rules no policy can satisfy (management) or
// that need no token (public) are counted and left out, with why.
func TestHTTPDoorsLeastPrivilege(t *testing.T) {
	fx := newDoorFixture(t)
	lp := newLeastPass(t, fx)
	routes := map[string]bool{}
	needs := map[string][]grant{}
	for _, s := range leastOrder(fx.samples) {
		rule := lp.rules[s.method+" "+s.route]
		if _, skip := leastSkippedKinds[rule.kind]; skip {
			lp.skipped[rule.kind]++
			continue
		}
		routes[s.method+" "+s.route] = true
		if need, ok := lp.pass(s, rule); ok && len(need) > 0 {
			needs[s.key] = need
		}
	}
	for kind, n := range lp.skipped {
		t.Logf("left out %d samples of rule %q: %s", n, kind, leastSkippedKinds[kind])
	}
	// The refusals run on a fresh agent: the pass above wrote, and its
	// scheduler and tasks go on changing what writeIndexes fingerprints
	// for a while.
	fresh := newLeastPass(t, newDoorFixture(t))
	for i, s := range leastOrder(fresh.fx.samples) {
		if need := needs[s.key]; need != nil && !filteredLists[s.path] && !anyTokenDoors[s.path] {
			fresh.refuse(s, need, i)
		}
	}
	t.Logf("least-privilege token: tried %d route methods, %d samples past the door (%d answered 2xx, the rest failed for what they asked; "+
		"%d with the door's own grants, %d with the grants their RPCs ask for, %d with any valid token), %d management-only, "+
		"%d owner-or-management; %d refusals of another grant's token",
		len(routes), lp.tried, lp.answered, lp.byRule, lp.byRPC, lp.anyToken, lp.skipped[structs.AuthorizeManagement]+lp.mgmtRPC, lp.ownerRPC, fresh.refused)
}

func newLeastPass(t *testing.T, fx *doorFixture) *leastPass {
	lp := &leastPass{t: t, fx: fx, rules: map[string]accessRule{}, others: otherGrants(), skipped: map[string]int{},
		tokens: &leastTokens{t: t, c: fx.c, mgmt: fx.mgmt, byKey: map[string]string{}}}
	for _, d := range fx.a.http.Doors() {
		lp.rules[d.Method+" "+d.Path] = d.Rule
	}
	return lp
}

// leastPass runs the least-privilege requests of TestHTTPDoorsLeastPrivilege.
type leastPass struct {
	t       *testing.T
	fx      *doorFixture
	rules   map[string]accessRule
	tokens  *leastTokens
	others  []grant
	skipped map[string]int

	tried, answered, byRule, byRPC, anyToken, mgmtRPC, ownerRPC, refused int
}

// pass sends the sample with its least-privilege token and checks it gets
// past the door. It returns the grants the token held, and false when the
// sample was not let through (already reported, or management-only).
func (lp *leastPass) pass(s routedSample, rule accessRule) ([]grant, bool) {
	t := lp.t
	t.Helper()
	var need []grant
	var code int
	var body string
	switch rule.kind {
	case ruleRPC:
		var who string
		need, who, code, body = lp.discover(s)
		switch who {
		case "management":
			lp.mgmtRPC++
			return nil, false
		case "owner":
			lp.ownerRPC++
			return nil, false
		}
		lp.byRPC++
	case structs.AuthorizeToken:
		lp.anyToken++
		code, body = lp.fx.c.do(s.method, s.path, lp.tokens.token(nil), s.body)
	default:
		need = ruleGrants(rule, s.path)
		lp.byRule++
		code, body = lp.fx.c.do(s.method, s.path, lp.tokens.token(need), s.body)
	}
	lp.tried++
	if isRefusal(code, body) {
		t.Errorf("%s %s (rule %s %s %s%s) with a token granting only %v: %d %s; want past the door",
			s.method, s.path, rule.kind, rule.capability, rule.also, rule.access, need, code, strings.TrimSpace(body))
		return need, false
	}
	if code < 300 {
		lp.answered++
	}
	if len(need) == 0 && rule.kind == ruleRPC && !filteredLists[s.path] && !anyTokenDoors[s.path] {
		t.Errorf("%s %s got past the door with a token without rights (%d): a rule lets everyone in; "+
			"if that is meant, list the path in filteredLists or anyTokenDoors", s.method, s.path, code)
	}
	if key := s.method + " " + s.path; len(need) > 1 && rule.kind == ruleRPC && leastSeveral[key] == "" {
		t.Errorf("%s needs %v: more than one grant; give the route one rule, or list it in leastSeveral with why", key, need)
	}
	t.Logf("%s %s: %v -> %d", s.method, s.path, need, code)
	return need, true
}

// discover finds what a viaRPC sample needs: it starts from a token
// without rights and adds, while the sample is refused, the grant the
// refusal names; the last answer is the sample's with that token (it is
// not sent again: it may have deleted what it names). who is "management"
// or "owner" when a refusal asks for a management token or the object's
// owner, which no grant makes.
func (lp *leastPass) discover(s routedSample) (need []grant, who string, code int, body string) {
	t := lp.t
	t.Helper()
	for round := 0; round < 5; round++ {
		code, body = lp.fx.c.do(s.method, s.path, lp.tokens.token(need), s.body)
		if !isRefusal(code, body) {
			return need, "", code, body
		}
		if strings.Contains(body, "needs a management token") {
			return nil, "management", code, body
		}
		if isOwnerOnly(body) {
			t.Logf("%s %s: owner or management: %s", s.method, s.path, strings.TrimSpace(body))
			return nil, "owner", code, body
		}
		g, ok := deniedGrant(body)
		if !ok {
			t.Errorf("%s %s with a token granting %v: refused without naming a grant", s.method, s.path, need)
			return need, "", code, body
		}
		for _, have := range need {
			if have.covers(g) {
				t.Errorf("%s %s with a token granting %v: refused for %v, which it holds", s.method, s.path, need, g)
				return need, "", code, body
			}
		}
		need = append(need, g)
		sortGrants(need)
	}
	t.Errorf("%s %s: still refused after granting %v", s.method, s.path, need)
	return need, "", code, body
}

// refuse sends the sample with a token holding one other grant that lacks
// part of need (a different one for each sample, in turn): it must be
// refused and write nothing.
func (lp *leastPass) refuse(s routedSample, need []grant, i int) {
	t := lp.t
	t.Helper()
	for k := range lp.others {
		other := lp.others[(i+k)%len(lp.others)]
		if coversAll(other, need) {
			continue
		}
		token := lp.tokens.token([]grant{other}) // made first: it writes
		st := lp.fx.a.Server().State()
		before := writeIndexes(st)
		code, body := lp.fx.c.do(s.method, s.path, token, s.body)
		lp.refused++
		if code != http.StatusForbidden || !strings.Contains(body, "Permission denied") {
			t.Errorf("%s %s (needs %v) with a token granting only %v: %d %s; want 403 Permission denied",
				s.method, s.path, need, other, code, strings.TrimSpace(body))
		}
		if after := writeIndexes(st); after != before {
			t.Errorf("%s %s with a token granting only %v was refused but the state changed", s.method, s.path, other)
		}
		return
	}
}

func coversAll(g grant, need []grant) bool {
	for _, n := range need {
		if !g.covers(n) {
			return false
		}
	}
	return true
}
