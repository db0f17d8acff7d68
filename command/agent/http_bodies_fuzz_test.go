package agent

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// writeBodies are the request bodies of the write routes, each with the
// checks its handler runs before the RPC (a job is canonicalized and
// validated in the agent, so a crash there would take the agent down).
var writeBodies = []struct {
	route string
	check func(body []byte) error
}{
	{"PUT /v1/jobs", func(b []byte) error {
		return decodeJob(b, func(a *structs.JobRegisterRequest) *structs.Job { return a.Job })
	}},
	{"PUT /v1/jobs (either form)", func(b []byte) error {
		r := httptest.NewRequest(http.MethodPut, "/fuzz", bytes.NewReader(b))
		args, err := decodeRegisterBody(httptest.NewRecorder(), r)
		if err != nil || args.Job == nil {
			return err
		}
		args.Job.Canonicalize()
		return args.Job.Validate()
	}},
	{"PUT /v1/job/<id>/scale", func(b []byte) error { _, err := decodeScaleBody(b); return err }},
	{"PUT /v1/job/<id>/plan", func(b []byte) error {
		return decodeJob(b, func(a *structs.JobPlanRequest) *structs.Job { return a.Job })
	}},
	{"PUT /v1/job/<id>/revert", func(b []byte) error { return decodeInto(b, &structs.JobRevertRequest{}) }},
	{"PUT /v1/job/<id>/dispatch", func(b []byte) error { return decodeInto(b, &dispatchBody{}) }},
	{"PUT /v1/acl/bootstrap", func(b []byte) error { return decodeInto(b, &structs.ACLBootstrapRequest{}) }},
	{"PUT /v1/acl/policy/<name>", func(b []byte) error { return decodeInto(b, &structs.ACLPolicy{}) }},
	{"PUT /v1/acl/token", func(b []byte) error { return decodeInto(b, &structs.ACLToken{}) }},
	{"PUT /v1/acl/role", func(b []byte) error { return decodeInto(b, &structs.ACLRole{}) }},
	{"PUT /v1/namespace/<name>", func(b []byte) error { return decodeInto(b, &structs.Namespace{}) }},
	{"PUT /v1/node/<id>/drain", func(b []byte) error { return decodeInto(b, &nodeDrainBody{}) }},
	{"PUT /v1/node/<id>/eligibility", func(b []byte) error { return decodeInto(b, &nodeEligibilityBody{}) }},
	{"POST /v1/client/allocation/<id>/exec", func(b []byte) error { return decodeInto(b, &AllocExecRequest{}) }},
	{"POST /v1/mesh/intentions", func(b []byte) error { return decodeInto(b, &structs.Intention{}) }},
	{"POST /v1/mesh/splits", func(b []byte) error {
		var sp structs.MeshSplit
		if err := decodeInto(b, &sp); err != nil {
			return err
		}
		return sp.Validate()
	}},
}

func decodeInto(body []byte, v any) error {
	r := httptest.NewRequest(http.MethodPut, "/fuzz", bytes.NewReader(body))
	return decodeBody(httptest.NewRecorder(), r, v)
}

func decodeJob[T any](body []byte, job func(*T) *structs.Job) error {
	var args T
	if err := decodeInto(body, &args); err != nil {
		return err
	}
	j := job(&args)
	if j == nil {
		return nil
	}
	j.Canonicalize()
	return j.Validate()
}

// FuzzWriteRouteBodies feeds arbitrary bytes to the decoder of every write
// route's body and to the checks its handler makes before the RPC: none
// may panic, and a refused body is a 4xx with a message.
func FuzzWriteRouteBodies(f *testing.F) {
	for i, seed := range []string{
		`{"job": {"id": "web", "groups": [{"name": "g", "count": 2, "tasks": [{"name": "t", "driver": "exec", "config": {"command": "/bin/sleep", "args": ["60"]}}]}]}}`,
		`{"job": {"id": "p", "periodic": {"cron": "*/5 * * * *"}, "groups": [{"tasks": [{"driver": "raw_exec"}]}]}}`,
		`{"job_id": "web", "job_version": 3}`,
		`{"meta": {"a": "b"}, "payload": "aGVsbG8="}`,
		`{"bootstrap_secret": "x"}`,
		`{"name": "readonly", "rules": "namespace \"default\" { policy = \"read\" }"}`,
		`{"name": "ci", "type": "client", "policies": ["readonly"], "expiration_ttl": "1h"}`,
		`{"name": "ops", "policies": [{"name": "readonly"}]}`,
		`{"description": "team a", "quota": null}`,
		`{"drain": {"deadline": "1m", "ignore_system_jobs": true}, "mark_eligible": false}`,
		`{"eligibility": "ineligible"}`,
		`{"task": "t", "command": ["/bin/ls", "-l"], "timeout": "10s"}`,
	} {
		f.Add(uint8(i), []byte(seed))
	}
	f.Add(uint8(0), []byte(`{"job": {"groups": [null, {"tasks": [null]}]}}`))
	f.Add(uint8(1), []byte(`{"Job": {"ID": "x", "TaskGroups": [null, {"Networks": [null, {"DynamicPorts": [null]}], "Tasks": [null]}], "Periodic": {"Spec": 3}}}`))
	f.Add(uint8(1), []byte(`{"ID": "x", "TaskGroups": [{"Name": "g", "Scaling": {"Max": 2}, "Services": [{"Checks": [null]}]}]}`))
	f.Add(uint8(2), []byte(`{"Count": 3, "Target": {"Group": "g"}}`))
	f.Add(uint8(0), []byte(`{"job": {"id": "x", "update": {}, "groups": [{"networks": [{}], "services": [null]}]}}`))
	f.Add(uint8(15), []byte(`{"source_name": "web", "destination_name": "api", "action": "deny"}`))
	f.Add(uint8(16), []byte(`{"service": "api", "subsets": [null, {"name": "v1", "weight": 100, "job_version": 3}], "routes": [null, {"subset": "v1", "timeout": "3s"}]}`))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		wb := writeBodies[int(which)%len(writeBodies)]
		err := wb.check(body)
		if he, ok := err.(*httpError); ok && (he.code < 400 || he.code > 499 || he.msg == "") {
			t.Fatalf("%s: body refused with %d %q, want a 4xx with a message", wb.route, he.code, he.msg)
		}
	})
}
