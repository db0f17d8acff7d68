package agent

import (
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// doorFixture is what the HTTP door tests share: a dev agent with ACLs on,
// the objects the samples act on (namespace prod with a running job "web",
// a parameterized "param" and a periodic "cron", a role, a token, login
// objects, a mesh intention and split), a token that may write only in
// namespace "other", and one or more sample requests for every registered
// route method.
type doorFixture struct {
	a           *Agent
	mgmt        string
	c           doorClient
	otherSecret string
	samples     map[string][]doorSample
}

// newDoorFixture builds the agent, its objects and the samples. It is one
// long table on purpose: a route's samples read best next to each other.
func newDoorFixture(t *testing.T) *doorFixture {
	t.Helper()
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
	return &doorFixture{a: a, mgmt: mgmt, c: c, otherSecret: other.SecretID, samples: samples}
}
