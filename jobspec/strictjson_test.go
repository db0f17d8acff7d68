package jobspec

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// A job body laid out so that positions are easy to check by eye.
const jsonJobWithProblems = `{
  "id": "web",
  "groups": [{"name": "web", "count": "2",
    "tasks": [
      {"name": "a", "driver": "exec"},
      {"name": "b", "driver": "exec", "foo": 1}
    ]}]
}`

func TestStrictDecodeJSONReportsPositionsAndPaths(t *testing.T) {
	var job structs.Job
	err := StrictDecodeJSON("web.json", []byte(jsonJobWithProblems), &job)
	want := "2 problems:\n" +
		"  * web.json:3:39: groups[0].count: expected a number, got string\n" +
		"  * web.json:6:39: groups[0].tasks[1]: unknown field \"foo\""
	if err == nil || err.Error() != want {
		t.Fatalf("got:\n%v\nwant:\n%s", err, want)
	}
	if !structs.IsValidation(err) {
		t.Errorf("want a validation error, got %T", err)
	}
	if job.ID != "" {
		t.Errorf("nothing may be decoded when the input has problems, got id %q", job.ID)
	}
}

func TestStrictDecodeJSONProblems(t *testing.T) {
	cases := []struct {
		name string
		into any
		in   string
		want string // the whole error
	}{
		{"case must match", &structs.TaskGroup{}, `{"name": "g", "Count": 2}`,
			`t.json:1:15: unknown field "Count" (did you mean "count"? field names are case-sensitive)`},
		{"typo suggestion", &structs.Task{}, `{"drivr": "exec"}`,
			`t.json:1:2: unknown field "drivr" (did you mean "driver"?)`},
		{"syntax error", &structs.Job{}, "{\n  \"id\": \"x\",\n  \"type\" \"batch\"\n}",
			`t.json:3:10: invalid JSON: invalid character '"' after object key`},
		{"truncated", &structs.Job{}, `{"id": "x", "groups": [`,
			`t.json:1:24: invalid JSON: unexpected end of input (a closing '}' or ']' may be missing)`},
		{"empty", &structs.Job{}, "  \n",
			`t.json:1:1: the input is empty: expected a JSON object`},
		{"trailing data", &structs.Job{}, `{"id": "x"} {"id": "y"}`,
			`t.json:1:13: unexpected data after the end of the JSON value`},
		{"not an object", &structs.Job{}, `["x"]`,
			`t.json:1:1: expected an object, got array`},
		{"repeated key", &structs.Job{}, `{"id": "x", "id": "y"}`,
			`t.json:1:13: field "id" appears more than once`},
		{"fraction into int", &structs.Job{}, `{"priority": 1.5}`,
			`t.json:1:14: priority: expected a whole number, got 1.5`},
		{"overflow", &structs.Job{}, `{"priority": 99999999999999999999}`,
			`t.json:1:14: priority: number 99999999999999999999 is out of range`},
		{"exponent into int", &structs.Job{}, `{"priority": 1e2}`,
			`t.json:1:14: priority: expected a whole number, got 1e2`},
		{"value cannot start", &structs.Job{}, `{"id":   @}`,
			`t.json:1:10: invalid JSON: invalid character '@' looking for beginning of value`},
		{"missing comma", &structs.Job{}, `{"id": "a" "type": "b"}`,
			`t.json:1:12: invalid JSON: invalid character '"' after object key:value pair`},
		{"negative into uint", &structs.Job{}, `{"version": -1}`,
			`t.json:1:13: version: expected a whole number that is not negative, got -1`},
		{"bool into string", &structs.Job{}, `{"type": true}`,
			`t.json:1:10: type: expected a string, got boolean`},
		{"string into list", &structs.Job{}, `{"datacenters": "dc1"}`,
			`t.json:1:17: datacenters: expected an array, got string`},
		{"list element", &structs.Job{}, `{"datacenters": ["dc1", 2]}`,
			`t.json:1:25: datacenters[1]: expected a string, got number`},
		{"map value", &structs.Job{}, `{"meta": {"rack.id": 7}}`,
			`t.json:1:22: meta["rack.id"]: expected a string, got number`},
		{"bad duration", &structs.Task{}, "{\"name\": \"t\",\n \"kill_timeout\": \"5 parsecs\"}",
			`t.json:2:18: kill_timeout: invalid duration "5 parsecs": use a Go duration such as "5s" or "1m30s"`},
		{"server-only key of a request", &structs.JobRegisterRequest{}, `{"job": {"id": "x"}, "auth_token": "s3cret"}`,
			`t.json:1:22: unknown field "auth_token"`},
		{"unknown key of a request", &structs.JobRegisterRequest{}, `{"job": {"id": "x"}, "force": true}`,
			`t.json:1:22: unknown field "force"`},
		{"object into string", &structs.Constraint{}, `{"value": {"a": [1, {"b": 2}]}, "operator": 5}`,
			"2 problems:\n  * t.json:1:11: value: expected a string, got object\n  * t.json:1:45: operator: expected a string, got number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := StrictDecodeJSON("t.json", []byte(tc.in), tc.into)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got:\n%v\nwant:\n%s", err, tc.want)
			}
		})
	}
}

func TestStrictDecodeJSONAccepts(t *testing.T) {
	body := `{
  "job": {"id": "x", "groups": [{"name": "g", "tasks": [{"name": "t", "driver": "exec",
     "config": {"Anything": {"goes": [1, null, {"deep": [[[]]]}]}, "args": ["a"]},
     "kill_timeout": "2s", "resources": null, "env": {"A-B.C": "1"}}]}]},
  "enforce_index": true,
  "job_modify_index": 7,
  "namespace": "prod"
}`
	var req structs.JobRegisterRequest
	if err := StrictDecodeJSON("req", []byte(body), &req); err != nil {
		t.Fatal(err)
	}
	// The result must be exactly what encoding/json gives.
	var plain structs.JobRegisterRequest
	if err := json.Unmarshal([]byte(body), &plain); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(req, plain) {
		t.Fatalf("differs from encoding/json:\n got %+v\nwant %+v", req, plain)
	}
	if req.Namespace != "prod" || !req.EnforceIndex || req.JobModifyIndex != 7 {
		t.Errorf("promoted and top-level fields: %+v", req)
	}
	task := req.Job.Groups[0].Tasks[0]
	if req.Job.Groups[0].Count != 1 || task.KillTimeout != structs.Duration(2*time.Second) {
		t.Errorf("count default / duration: %d %v", req.Job.Groups[0].Count, task.KillTimeout)
	}
}

func TestStrictDecodeJSONAnyTarget(t *testing.T) {
	var v any
	if err := StrictDecodeJSON("x", []byte(`{"Whatever": [1, 2]}`), &v); err != nil {
		t.Fatal(err)
	}
	var m map[string]int
	err := StrictDecodeJSON("", []byte(`{"a": 1, "b": "2"}`), &m)
	if err == nil || err.Error() != `1:15: b: expected a number, got string` {
		t.Fatalf("unnamed input: got %v", err)
	}
	if err := StrictDecodeJSON("x", []byte(`{}`), structs.Job{}); err == nil {
		t.Error("a non-pointer target must be refused")
	}
}

func TestStrictDecodeJSONStopsAfterFirstProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < 50; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"bad` + strings.Repeat("x", i) + `": 1`)
	}
	b.WriteString("}")
	err := StrictDecodeJSON("many", []byte(b.String()), &structs.Job{})
	v, ok := err.(*structs.ValidationError)
	if !ok || len(v.Problems) != maxJSONProblems+1 || !strings.Contains(v.Problems[maxJSONProblems], "stopped") {
		t.Fatalf("want %d problems and a note, got %v", maxJSONProblems, err)
	}
}

func TestStrictDecodeJSONDepthLimit(t *testing.T) {
	type nest struct {
		N []any `json:"n"`
	}
	// Free-form values may nest deeply (they are skipped without recursion)...
	deep := `{"n": ` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`
	if err := StrictDecodeJSON("deep", []byte(deep), &nest{}); err != nil {
		t.Fatalf("deep free-form value: %v", err)
	}
	// ...but typed recursion is bounded.
	var v [][][]int
	_ = v
	type rec struct {
		Next *rec `json:"next"`
	}
	in := strings.Repeat(`{"next": `, maxJSONDepth+5) + "null" + strings.Repeat("}", maxJSONDepth+5)
	err := StrictDecodeJSON("rec", []byte(in), &rec{})
	if err == nil || !strings.Contains(err.Error(), "nested more than") {
		t.Fatalf("want a depth error, got %v", err)
	}
}

func TestParseJSONJobForms(t *testing.T) {
	cases := []struct{ name, src, wantErr string }{
		{"wrapped unknown field with path", `{"job": {"id": "x", "groups": [{"name": "g", "tasks": [{"name": "t", "drvier": "exec"}]}]}}`,
			`job.json:1:70: job.groups[0].tasks[0]: unknown field "drvier" (did you mean "driver"?)`},
		{"wrapped with an extra key", `{"job": {"id": "x"}, "index": 3}`,
			`job.json:1:22: unknown field "index"`},
		{"wrapped null", `{"job": null}`,
			`job.json: "job" is null: expected the job object, as in {"job": {"id": "web", ...}}`},
		{"bare Count", `{"id": "x", "groups": [{"name": "g", "Count": 2}]}`,
			`job.json:1:38: groups[0]: unknown field "Count" (did you mean "count"? field names are case-sensitive)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("job.json", []byte(tc.src), "json")
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("got:\n%v\nwant:\n%s", err, tc.wantErr)
			}
		})
	}
}
