package jobspec

import (
	"strings"
	"testing"
)

// dispatch_payload { file } parses from HCL and Nomad's API JSON and is
// validated.
func TestParseDispatchPayload(t *testing.T) {
	hcl := `job "d" {
  type = "batch"
  parameterized {
    payload = "required"
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/cat" }
      dispatch_payload {
        file = "input.json"
      }
    }
  }
}`
	nomad := `{"Job": {"ID": "d", "Type": "batch", "ParameterizedJob": {"Payload": "required"}, "TaskGroups": [{"Name": "g", "Tasks": [
  {"Name": "t", "Driver": "raw_exec", "Config": {"command": "/bin/cat"}, "DispatchPayload": {"File": "input.json"}}]}]}}`
	for _, tc := range []struct{ name, src string }{{"d.hcl", hcl}, {"d.json", nomad}} {
		job, err := Parse(tc.name, []byte(tc.src), "")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		job.Canonicalize()
		if err := job.Validate(); err != nil {
			t.Fatalf("%s: validate: %v", tc.name, err)
		}
		if d := job.Groups[0].Tasks[0].DispatchPayload; d == nil || d.File != "input.json" {
			t.Fatalf("%s: dispatch_payload = %+v", tc.name, d)
		}
	}
	bad, err := Parse("d.hcl", []byte(strings.Replace(hcl, `"input.json"`, `"../../etc/x"`, 1)), "")
	if err != nil {
		t.Fatal(err)
	}
	bad.Canonicalize()
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), `dispatch_payload: file "../../etc/x" leaves the task's local/ directory`) {
		t.Fatalf("escaping file: %v", err)
	}
}
