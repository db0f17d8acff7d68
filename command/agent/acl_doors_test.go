package agent

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// startACLAgent starts a real dev agent with ACLs on and returns it with a
// management token.
func startACLAgent(t *testing.T) (*Agent, string) {
	t.Helper()
	cfg := DevConfig()
	cfg.Name = "acl-doors"
	cfg.LogLevel = "ERROR"
	cfg.ACL.Enabled = true
	cfg.Ports.HTTP, cfg.Ports.RPC, cfg.Ports.Gossip = freeTCPPort(t), freeTCPPort(t), freeTCPPort(t)
	logger := hclog.New(&hclog.LoggerOptions{Name: "acl", Level: hclog.Error, Output: os.Stderr})
	a, err := NewAgent(cfg, logger)
	if err != nil {
		t.Fatalf("start agent: %v", err)
	}
	t.Cleanup(func() { _ = a.Shutdown() })
	var boot structs.ACLTokenResponse
	if err := a.RPC(structs.ACLBootstrapRPC, &structs.ACLBootstrapRequest{}, &boot); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	if boot.Token == nil || boot.Token.SecretID == "" {
		t.Fatalf("bootstrap gave no secret: %+v", boot.Token)
	}
	return a, boot.Token.SecretID
}

// doorClient sends raw HTTP requests to an agent with a chosen token.
type doorClient struct {
	t    *testing.T
	base string
}

func (c doorClient) do(method, path, token, body string) (int, string) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Appmesh-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, string(b)
}

func (c doorClient) must(method, path, token, body string) string {
	c.t.Helper()
	code, out := c.do(method, path, token, body)
	if code != http.StatusOK {
		c.t.Fatalf("%s %s: %d %s", method, path, code, out)
	}
	return out
}

// doorSample is one concrete request for a route pattern.
type doorSample struct {
	method, path, body string
}

// filteredLists answer a token without rights in prod with the part it may
// see (its own namespace, policy, roles) instead of a 403: "lists are
// filtered, not refused". They must not show anything of prod.
var filteredLists = map[string]bool{"/v1/acl/policies": true, "/v1/acl/roles": true, "/v1/namespaces": true,
	"/v1/jobs?namespace=*": true, "/v1/services?namespace=*": true,
	"/v1/mesh/intentions?namespace=*": true, "/v1/mesh/splits?namespace=*": true,
	"/appmesh/roles": true, "/appmesh/permissions": true, "/appmesh/user/groups": true, "/appmesh/user/permissions": true}

// anyTokenDoors answer any valid token: what they show is public to the
// cluster's members (the mesh CA's root certificates, which every proxy
// needs), but not to anonymous callers.
var anyTokenDoors = map[string]bool{"/v1/mesh/ca/roots": true}

// TestHTTPDoors walks the router's own route table: every registered
// method of every route must be refused (403, nothing written) without a
// token, with an unknown token and with a token of another namespace, and
// must get past the door with a management token. A route added without a
// sample here fails the test, so no door goes untried.
func TestHTTPDoors(t *testing.T) {
	a, mgmt := startACLAgent(t)
	c := doorClient{t: t, base: "http://" + a.HTTPAddr()}

	// A namespace with a running job, a stopped job to revert, a
	// parameterized job to dispatch and a periodic one to force.
	c.must("PUT", "/v1/namespace/prod", mgmt, `{"description":"production"}`)
	c.must("PUT", "/v1/namespace/other", mgmt, "")
	c.must("PUT", "/v1/acl/policy/other-write", mgmt, `{"rules":"namespace \"other\" {\n policy = \"write\"\n}\n"}`)
	c.must("PUT", "/v1/acl/policy/prod-read", mgmt, `{"rules":"namespace \"prod\" {\n policy = \"read\"\n}\n"}`)
	var other struct {
		SecretID string `json:"secret_id"`
	}
	decodeJSON(t, c.must("PUT", "/v1/acl/token", mgmt, `{"name":"other","policies":["other-write"]}`), &other)
	jobBody := `{"job":{"id":"web","namespace":"prod","type":"service","groups":[{"name":"g","count":1,"tasks":[
	  {"name":"t","driver":"raw_exec","config":{"command":"/bin/sh","args":["-c","echo hi; exec sleep 600"]}}]}]}}`
	c.must("PUT", "/v1/jobs", mgmt, jobBody)
	c.must("PUT", "/v1/jobs", mgmt, strings.Replace(jobBody, "exec sleep 600", "exec sleep 601", 1))
	c.must("PUT", "/v1/jobs", mgmt, `{"job":{"id":"param","namespace":"prod","type":"batch","parameterized":{},"groups":[{"name":"g","tasks":[
	  {"name":"t","driver":"raw_exec","config":{"command":"/bin/true"}}]}]}}`)
	c.must("PUT", "/v1/jobs", mgmt, `{"job":{"id":"cron","namespace":"prod","type":"batch","periodic":{"crons":["0 0 0 1 1 *"]},"groups":[{"name":"g","tasks":[
	  {"name":"t","driver":"raw_exec","config":{"command":"/bin/true"}}]}]}}`)
	allocID := waitRunningAlloc(t, c, mgmt, "web")
	var allocs []struct {
		EvalID string `json:"eval_id"`
		NodeID string `json:"node_id"`
	}
	decodeJSON(t, c.must("GET", "/v1/job/web/allocations?namespace=prod", mgmt, ""), &allocs)
	evalID, nodeID := allocs[0].EvalID, allocs[0].NodeID
	var roleOut struct {
		ID string `json:"id"`
	}
	decodeJSON(t, c.must("PUT", "/v1/acl/role", mgmt, `{"name":"ops","policies":["other-write"]}`), &roleOut)
	var tokOut struct {
		AccessorID string `json:"accessor_id"`
	}
	decodeJSON(t, c.must("PUT", "/v1/acl/token", mgmt, `{"name":"victim","policies":["other-write"]}`), &tokOut)

	login := loginDoorFixtures(t, c, mgmt)
	// The mesh's policy (http_mesh_policy.go): an intention and a split in prod.
	intentionBody := `{"source_name":"web","destination_name":"api","action":"allow"}`
	splitBody := `{"service":"api","subsets":[{"name":"v1","tags":["v1"],"weight":100}]}`
	var intentionOut struct {
		ID string `json:"id"`
	}
	decodeJSON(t, c.must("POST", "/v1/mesh/intentions?namespace=prod", mgmt, intentionBody), &intentionOut)
	c.must("POST", "/v1/mesh/splits?namespace=prod", mgmt, splitBody)

	ns := "?namespace=prod"
	depID := structs.DeploymentID("prod", "web", 1, 1) // need not exist: the door comes first
	keyringOp := `{"op": "install", "key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`
	samples := map[string][]doorSample{
		"/v1/jobs": {{"GET", "/v1/jobs" + ns, ""}, {"GET", "/v1/jobs?namespace=*", ""}, {"PUT", "/v1/jobs", jobBody}, {"POST", "/v1/jobs", jobBody}},
		"/v1/jobs/parse": {{"POST", "/v1/jobs/parse" + ns, `{"source":"job \"p\" {\n}\n"}`},
			{"PUT", "/v1/jobs/parse" + ns, `{"source":"job \"p\" {\n}\n"}`}},
		"/v1/job/{rest...}": {
			{"GET", "/v1/job/web" + ns, ""}, {"GET", "/v1/job/web/allocations" + ns, ""},
			{"GET", "/v1/job/web/evaluations" + ns, ""}, {"GET", "/v1/job/web/versions" + ns, ""},
			{"GET", "/v1/job/cron/periodic" + ns, ""},
			{"PUT", "/v1/job/web/plan" + ns, jobBody}, {"PUT", "/v1/job/web/revert" + ns, `{"version":0}`},
			{"PUT", "/v1/job/param/dispatch" + ns, `{}`}, {"PUT", "/v1/job/cron/periodic/force" + ns, ""},
			{"GET", "/v1/job/web/deployments" + ns, ""}, {"GET", "/v1/job/web/deployment" + ns, ""},
			{"PUT", "/v1/job/web/promote" + ns, ""}, {"POST", "/v1/job/web/promote" + ns, `{"All":true}`},
			{"PUT", "/v1/job/web/scale" + ns, `{"group":"g","count":2}`},
			{"POST", "/v1/job/web/scale" + ns, `{"Count":2,"Target":{"Group":"g"}}`},
			{"DELETE", "/v1/job/web" + ns, ""},
		},
		"/v1/deployments":     {{"GET", "/v1/deployments" + ns, ""}},
		"/v1/deployment/{id}": {{"GET", "/v1/deployment/" + depID + ns, ""}},
		"/v1/deployment/promote/{id}": {{"POST", "/v1/deployment/promote/" + depID + ns, `{"All":true}`},
			{"PUT", "/v1/deployment/promote/" + depID + ns, ""}},
		"/v1/deployment/fail/{id}": {{"POST", "/v1/deployment/fail/" + depID + ns, ""}, {"PUT", "/v1/deployment/fail/" + depID + ns, ""}},
		"/v1/deployment/allocation-health/{id}": {
			{"POST", "/v1/deployment/allocation-health/" + depID + ns, `{"HealthyAllocationIDs":["` + allocID + `"]}`},
			{"PUT", "/v1/deployment/allocation-health/" + depID + ns, `{"UnhealthyAllocationIDs":["` + allocID + `"]}`}},
		"/v1/allocations":           {{"GET", "/v1/allocations" + ns, ""}},
		"/v1/allocation/{id}":       {{"GET", "/v1/allocation/" + allocID + ns, ""}},
		"/v1/allocation/{id}/stop":  {{"PUT", "/v1/allocation/" + allocID + "/stop" + ns, ""}, {"POST", "/v1/allocation/" + allocID + "/stop" + ns, ""}},
		"/v1/nodes":                 {{"GET", "/v1/nodes", ""}},
		"/v1/node/{id}":             {{"GET", "/v1/node/" + nodeID, ""}},
		"/v1/node/{id}/drain":       {{"PUT", "/v1/node/" + nodeID + "/drain", `{"drain":null}`}, {"POST", "/v1/node/" + nodeID + "/drain", `{"drain":null}`}},
		"/v1/node/{id}/eligibility": {{"PUT", "/v1/node/" + nodeID + "/eligibility", `{"eligibility":"eligible"}`}, {"POST", "/v1/node/" + nodeID + "/eligibility", `{"eligibility":"eligible"}`}},
		"/v1/node/{id}/purge": {{"PUT", "/v1/node/" + structs.GenerateID() + "/purge", ""},
			{"POST", "/v1/node/" + structs.GenerateID() + "/purge", ""}},
		"/v1/system/gc":                     {{"PUT", "/v1/system/gc", ""}, {"POST", "/v1/system/gc", ""}},
		"/v1/evaluations":                   {{"GET", "/v1/evaluations" + ns, ""}},
		"/v1/evaluation/{id}":               {{"GET", "/v1/evaluation/" + evalID + ns, ""}},
		"/v1/status/leader":                 {{"GET", "/v1/status/leader", ""}},
		"/v1/status/peers":                  {{"GET", "/v1/status/peers", ""}},
		"/v1/agent/self":                    {{"GET", "/v1/agent/self", ""}},
		"/v1/metrics":                       {{"GET", "/v1/metrics", ""}, {"GET", "/v1/metrics?format=json", ""}},
		"/v1/event/stream":                  {{"GET", "/v1/event/stream?namespace=prod&index=1&follow=false", ""}},
		"/v1/agent/members":                 {{"GET", "/v1/agent/members", ""}},
		"/v1/agent/join":                    {{"PUT", "/v1/agent/join?address=127.0.0.1:1", ""}, {"POST", "/v1/agent/join?address=127.0.0.1:1", ""}},
		"/v1/agent/force-leave":             {{"PUT", "/v1/agent/force-leave?node=nobody", ""}, {"POST", "/v1/agent/force-leave?node=nobody", ""}},
		"/v1/operator/raft/configuration":   {{"GET", "/v1/operator/raft/configuration", ""}},
		"/v1/operator/raft/peer":            {{"DELETE", "/v1/operator/raft/peer?address=127.0.0.1:1", ""}},
		"/v1/operator/snapshot":             {{"GET", "/v1/operator/snapshot", ""}, {"PUT", "/v1/operator/snapshot", "not a snapshot"}},
		"/v1/operator/keyring":              {{"GET", "/v1/operator/keyring", ""}, {"PUT", "/v1/operator/keyring", keyringOp}, {"POST", "/v1/operator/keyring", keyringOp}},
		"/v1/client/fs/logs/{alloc}":        {{"GET", "/v1/client/fs/logs/" + allocID + "?task=t", ""}},
		"/v1/client/allocation/{id}/signal": {{"POST", "/v1/client/allocation/" + allocID + "/signal", `{"signal":"SIGCONT"}`}, {"PUT", "/v1/client/allocation/" + allocID + "/signal", `{"signal":"SIGCONT"}`}},
		"/v1/client/allocation/{id}/restart": {{"POST", "/v1/client/allocation/" + allocID + "/restart", `{}`},
			{"PUT", "/v1/client/allocation/" + allocID + "/restart", `{}`}},
		"/v1/client/allocation/{id}/exec": {{"POST", "/v1/client/allocation/" + allocID + "/exec", `{"task":"t","command":["/bin/true"]}`},
			{"PUT", "/v1/client/allocation/" + allocID + "/exec", `{"task":"t","command":["/bin/true"]}`},
			{"GET", "/v1/client/allocation/" + allocID + "/exec?task=t&command=%5B%22%2Fbin%2Ftrue%22%5D", ""}},
		"/v1/client/allocation/{id}/stats": {{"GET", "/v1/client/allocation/" + allocID + "/stats", ""}},
		"/v1/client/allocation/{id}/stdin": {{"POST", "/v1/client/allocation/" + allocID + "/stdin?task=t", "x"}, {"PUT", "/v1/client/allocation/" + allocID + "/stdin?task=t", "x"}},
		"/v1/run/{id}":                     {{"GET", "/v1/run/web" + ns, ""}},
		"/v1/acl/bootstrap":                {},
		"/v1/acl/policies":                 {{"GET", "/v1/acl/policies", ""}},
		"/v1/acl/policy/{name}": {{"GET", "/v1/acl/policy/prod-read", ""}, {"PUT", "/v1/acl/policy/x", `{"rules":"node { policy = \"write\" }"}`},
			{"POST", "/v1/acl/policy/x", `{"rules":"node { policy = \"write\" }"}`}, {"DELETE", "/v1/acl/policy/prod-read", ""}},
		"/v1/acl/tokens": {{"GET", "/v1/acl/tokens", ""}},
		"/v1/acl/token":  {{"PUT", "/v1/acl/token", `{"type":"management"}`}, {"POST", "/v1/acl/token", `{"type":"management"}`}},
		"/v1/acl/token/{id}": {{"GET", "/v1/acl/token/" + tokOut.AccessorID, ""}, {"PUT", "/v1/acl/token/" + tokOut.AccessorID, `{"policies":["other-write"]}`},
			{"POST", "/v1/acl/token/" + tokOut.AccessorID, `{"policies":["other-write"]}`}, {"DELETE", "/v1/acl/token/" + tokOut.AccessorID, ""}},
		"/v1/acl/roles":            {{"GET", "/v1/acl/roles", ""}},
		"/v1/acl/role":             {{"PUT", "/v1/acl/role", `{"name":"r2","policies":["other-write"]}`}, {"POST", "/v1/acl/role", `{"name":"r2","policies":["other-write"]}`}},
		"/v1/acl/role/name/{name}": {{"GET", "/v1/acl/role/name/ops", ""}},
		"/v1/acl/role/{id}": {{"GET", "/v1/acl/role/" + roleOut.ID, ""}, {"PUT", "/v1/acl/role/" + roleOut.ID, `{"name":"ops","policies":["other-write"]}`},
			{"POST", "/v1/acl/role/" + roleOut.ID, `{"name":"ops","policies":["other-write"]}`}, {"DELETE", "/v1/acl/role/" + roleOut.ID, ""}},
		"/v1/namespaces": {{"GET", "/v1/namespaces", ""}},
		// Users, signing keys, auth methods (http_acl_login.go); login and
		// the JWKS are public and need no sample.
		"/v1/acl/signing-keys":             {{"GET", "/v1/acl/signing-keys", ""}},
		"/v1/acl/signing-key/rotate":       {{"PUT", "/v1/acl/signing-key/rotate", ""}, {"POST", "/v1/acl/signing-key/rotate", ""}},
		"/v1/acl/users":                    {{"GET", "/v1/acl/users", ""}},
		"/v1/acl/user":                     {{"PUT", "/v1/acl/user", login.newUser("u1")}, {"POST", "/v1/acl/user", login.newUser("u2")}},
		"/v1/acl/user/{name}":              {{"GET", "/v1/acl/user/dora", ""}, {"PUT", "/v1/acl/user/dora", login.newUser("dora")}, {"POST", "/v1/acl/user/dora", login.newUser("dora")}, {"DELETE", "/v1/acl/user/dora", ""}},
		"/v1/acl/user/{name}/password":     {{"PUT", "/v1/acl/user/dora/password", `{"password":"another long one"}`}, {"POST", "/v1/acl/user/dora/password", `{"password":"another long one"}`}},
		"/v1/acl/user/{name}/lock":         {{"PUT", "/v1/acl/user/dora/lock", ""}, {"POST", "/v1/acl/user/dora/lock", ""}},
		"/v1/acl/user/{name}/unlock":       {{"PUT", "/v1/acl/user/dora/unlock", ""}, {"POST", "/v1/acl/user/dora/unlock", ""}},
		"/v1/acl/user/{name}/totp":         {{"DELETE", "/v1/acl/user/dora/totp", ""}},
		"/v1/acl/user/{name}/totp/enroll":  {{"PUT", "/v1/acl/user/dora/totp/enroll", ""}, {"POST", "/v1/acl/user/dora/totp/enroll", ""}},
		"/v1/acl/user/{name}/totp/confirm": {{"PUT", "/v1/acl/user/dora/totp/confirm", `{"code":"123456"}`}, {"POST", "/v1/acl/user/dora/totp/confirm", `{"code":"123456"}`}},
		"/v1/acl/auth-methods":             {{"GET", "/v1/acl/auth-methods", ""}},
		"/v1/acl/auth-method":              {{"PUT", "/v1/acl/auth-method", login.method("m1")}, {"POST", "/v1/acl/auth-method", login.method("m2")}},
		"/v1/acl/auth-method/{name}":       {{"GET", "/v1/acl/auth-method/idp", ""}, {"PUT", "/v1/acl/auth-method/idp", login.method("idp")}, {"POST", "/v1/acl/auth-method/idp", login.method("idp")}, {"DELETE", "/v1/acl/auth-method/idp", ""}},
		"/v1/acl/binding-rules":            {{"GET", "/v1/acl/binding-rules", ""}},
		"/v1/acl/binding-rule":             {{"PUT", "/v1/acl/binding-rule", login.rule("")}, {"POST", "/v1/acl/binding-rule", login.rule("")}},
		"/v1/acl/binding-rule/{id}":        {{"GET", "/v1/acl/binding-rule/" + login.ruleID, ""}, {"PUT", "/v1/acl/binding-rule/" + login.ruleID, login.rule(login.ruleID)}, {"POST", "/v1/acl/binding-rule/" + login.ruleID, login.rule(login.ruleID)}, {"DELETE", "/v1/acl/binding-rule/" + login.ruleID, ""}},
		"/v1/services":                     {{"GET", "/v1/services" + ns, ""}, {"GET", "/v1/services?namespace=*", ""}},
		"/v1/service/{name}":               {{"GET", "/v1/service/api" + ns, ""}},
		"/v1/service/{name}/{id}":          {{"DELETE", "/v1/service/api/some-id" + ns, ""}},
		// The mesh CA (http_mesh_ca.go): the roots are public to any valid
		// token (anyTokenDoors), rotation is operator write.
		"/v1/mesh/ca/roots":  {{"GET", "/v1/mesh/ca/roots", ""}},
		"/v1/mesh/ca/rotate": {{"POST", "/v1/mesh/ca/rotate", ""}, {"PUT", "/v1/mesh/ca/rotate", ""}},
		"/v1/mesh/intentions": {{"GET", "/v1/mesh/intentions" + ns, ""}, {"GET", "/v1/mesh/intentions?namespace=*", ""},
			{"POST", "/v1/mesh/intentions" + ns, intentionBody}, {"PUT", "/v1/mesh/intentions" + ns, intentionBody}},
		"/v1/mesh/intentions/check": {{"GET", "/v1/mesh/intentions/check?source=prod/web&destination=prod/api", ""}},
		"/v1/mesh/intention/{id}": {{"GET", "/v1/mesh/intention/" + intentionOut.ID + ns, ""},
			{"DELETE", "/v1/mesh/intention/" + intentionOut.ID, ""}},
		"/v1/mesh/splits": {{"GET", "/v1/mesh/splits" + ns, ""}, {"GET", "/v1/mesh/splits?namespace=*", ""},
			{"POST", "/v1/mesh/splits" + ns, splitBody}, {"PUT", "/v1/mesh/splits" + ns, splitBody}},
		"/v1/mesh/split/{ns}/{service}": {{"GET", "/v1/mesh/split/prod/api", ""}, {"DELETE", "/v1/mesh/split/prod/api", ""}},
		// App Mesh's API (http_appmesh_*.go): applications live in the
		// default namespace, where the other token has no rights. Login,
		// auth and logoff are public doors (TestAppMeshLogin).
		"/appmesh/applications": {{"GET", "/appmesh/applications", ""}},
		"/appmesh/app/{name}": {{"GET", "/appmesh/app/web", ""}, {"PUT", "/appmesh/app/amx", `{"command":"echo hi"}`},
			{"DELETE", "/appmesh/app/amx", ""}, {"POST", "/appmesh/app/run", `{"command":"echo hi"}`},
			{"POST", "/appmesh/app/syncrun?timeout=5", `{"command":"echo hi"}`}},
		"/appmesh/app/{name}/enable":  {{"POST", "/appmesh/app/amx/enable", ""}},
		"/appmesh/app/{name}/disable": {{"POST", "/appmesh/app/amx/disable", ""}},
		"/appmesh/app/{name}/health":  {{"GET", "/appmesh/app/amx/health", ""}},
		"/appmesh/app/{name}/output":  {{"GET", "/appmesh/app/amx/output", ""}},
		// Renew, totp/secret|setup|validate act on the caller's own login
		// and are public doors (TestAppMeshTokenTOTP).
		"/appmesh/totp/{user}/disable": {{"POST", "/appmesh/totp/dora/disable", ""}},
		"/appmesh/labels":              {{"GET", "/appmesh/labels", ""}, {"POST", "/appmesh/labels", `{"zone":"a"}`}},
		"/appmesh/config":              {{"GET", "/appmesh/config", ""}, {"POST", "/appmesh/config", `{"BaseConfig":{"LogLevel":"ERROR"}}`}},
		"/appmesh/resources":           {{"GET", "/appmesh/resources", ""}},
		"/appmesh/metrics":             {{"GET", "/appmesh/metrics", ""}},
		"/appmesh/file/download":       {{"GET", "/appmesh/file/download", ""}},
		"/appmesh/file/upload":         {{"POST", "/appmesh/file/upload", `{}`}},
		"/appmesh/users":               {{"GET", "/appmesh/users", ""}},
		"/appmesh/user/{name}": {{"GET", "/appmesh/user/dora", ""}, {"GET", "/appmesh/user/permissions", ""}, {"GET", "/appmesh/user/groups", ""},
			{"PUT", "/appmesh/user/dora", `{"type":"management"}`}, {"DELETE", "/appmesh/user/dora", ""}},
		"/appmesh/user/{name}/passwd": {{"POST", "/appmesh/user/dora/passwd", `{"new_password":"YW5vdGhlciBsb25nIG9uZSBoZXJl"}`}},
		"/appmesh/user/{name}/lock":   {{"POST", "/appmesh/user/dora/lock", ""}},
		"/appmesh/user/{name}/unlock": {{"POST", "/appmesh/user/dora/unlock", ""}},
		"/appmesh/roles":              {{"GET", "/appmesh/roles", ""}},
		"/appmesh/role/{name}":        {{"POST", "/appmesh/role/amr", `["app-view"]`}, {"DELETE", "/appmesh/role/ops", ""}},
		"/appmesh/permissions":        {{"GET", "/appmesh/permissions", ""}},
		"/appmesh/label/{name}":       {{"PUT", "/appmesh/label/zone?value=a", ""}, {"DELETE", "/appmesh/label/zone", ""}},
		// A sidecar proxy's config (http_mesh_proxy.go; TestMeshProxyConfigDoor
		// tries the proxies' own tokens).
		structs.MeshProxyConfigPath: {{"GET", structs.MeshProxyConfigPath + "?alloc_id=" + allocID + "&service=web&wait=1s", ""}},
		"/v1/namespace/{name}": {{"GET", "/v1/namespace/prod", ""}, {"PUT", "/v1/namespace/prod", `{}`}, {"POST", "/v1/namespace/prod", `{}`},
			{"DELETE", "/v1/namespace/prod", ""}},
	}

	// Every registered (method, route) has a sample, and every sample a route.
	covered := map[string]bool{}
	for _, d := range a.http.Doors() {
		found := false
		for _, s := range samples[d.Path] {
			if s.method == d.Method {
				found = true
				covered[d.Method+" "+d.Path] = true
			}
		}
		if !found && d.Rule.kind != rulePublic && d.Rule.kind != ruleStatic { // static: TestUIDoors
			t.Errorf("route %s %s (rule %s) has no sample in TestHTTPDoors: add one so its door is tried", d.Method, d.Path, d.Rule.kind)
		}
	}
	tokens := map[string]string{"no token": "", "unknown token": structs.GenerateID(), "other namespace's token": other.SecretID}
	tried := 0
	st := a.Server().State()
	for _, path := range sortedKeys(samples) {
		for _, s := range samples[path] {
			if !covered[s.method+" "+path] {
				t.Errorf("sample %s %s matches no registered route", s.method, s.path)
				continue
			}
			for _, who := range sortedKeys(tokens) {
				before := writeIndexes(st)
				code, body := c.do(s.method, s.path, tokens[who], s.body)
				tried++
				if anyTokenDoors[s.path] && who == "other namespace's token" {
					if code != http.StatusOK {
						t.Errorf("%s %s with %s: got %d %s, want 200 (any valid token may read it)", s.method, s.path, who, code, body)
					}
					continue
				}
				if filteredLists[s.path] && who == "other namespace's token" {
					if code != http.StatusOK || strings.Contains(body, "prod") || strings.Contains(body, `"ops"`) {
						t.Errorf("%s %s with %s: got %d %s, want 200 with nothing of prod", s.method, s.path, who, code, body)
					}
					continue
				}
				if code != http.StatusForbidden || !strings.Contains(body, "Permission denied") {
					t.Errorf("%s %s with %s: got %d %s, want 403 Permission denied", s.method, s.path, who, code, body)
				}
				if after := writeIndexes(st); after != before {
					t.Errorf("%s %s with %s was refused but the state changed (%s -> %s)", s.method, s.path, who, before, after)
				}
			}
		}
	}
	// With the management token every door opens (the request itself may
	// still be refused for what it asks, but not by the door). Destructive
	// samples run last.
	for _, path := range sortedKeys(samples) {
		for _, s := range samples[path] {
			if s.method == "DELETE" {
				continue
			}
			code, body := c.do(s.method, s.path, mgmt, s.body)
			tried++
			if code == http.StatusForbidden || code == http.StatusUnauthorized {
				t.Errorf("%s %s with the management token: %d %s", s.method, s.path, code, body)
			}
		}
	}
	t.Logf("tried %d requests on %d routes (%d route methods)", tried, len(samples), len(a.http.Doors()))
}

// writeIndexes fingerprints what a request could write: job versions, the ACL
// tables, namespaces and the allocations' desired states. (Allocations'
// client updates and evaluations change on their own while tasks run.)
func writeIndexes(st *state.StateStore) string {
	var b strings.Builder
	jobs, _ := st.Jobs(nil)
	for _, j := range jobs {
		fmt.Fprintf(&b, "%s/%s:v%d:stop=%v ", j.Namespace, j.ID, j.Version, j.Stop)
	}
	for _, tbl := range []string{state.TableACLPolicies, state.TableACLTokens, state.TableACLRoles, state.TableNamespaces, state.TableACLBootstrap,
		state.TableACLUsers, state.TableACLLoginSessions, state.TableACLSigningKeys, state.TableACLAuthMethods, state.TableACLBindingRules, state.TableServices,
		state.TableMeshIntentions, state.TableMeshSplits, state.TableMeshCARoots} {
		idx, _ := st.Index(tbl)
		fmt.Fprintf(&b, "%s=%d ", tbl, idx)
	}
	allocs, _ := st.Allocs(nil)
	for _, al := range allocs {
		fmt.Fprintf(&b, "%s:%s ", structs.ShortID(al.ID), al.DesiredStatus)
	}
	return b.String()
}

func waitRunningAlloc(t *testing.T, c doorClient, token, job string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var allocs []structs.AllocListStub
		_, body := c.do("GET", "/v1/job/"+job+"/allocations?namespace=prod", token, "")
		if decodeJSONErr(body, &allocs) == nil {
			for _, al := range allocs {
				if al.ClientStatus == "running" {
					return al.ID
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %s never ran", job)
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func decodeJSON(t *testing.T, body string, v any) {
	t.Helper()
	if err := decodeJSONErr(body, v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
}

func decodeJSONErr(body string, v any) error { return json.Unmarshal([]byte(body), v) }
