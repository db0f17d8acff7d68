package jobspec

import (
	"strings"
	"testing"
)

// leader parses from HCL and Nomad's API JSON; two leaders are refused.
func TestParseTaskLeader(t *testing.T) {
	hcl := `job "l" {
  group "g" {
    task "a" {
      driver = "raw_exec"
      leader = true
      config { command = "/bin/true" }
    }
    task "b" {
      driver = "raw_exec"
      config { command = "/bin/sleep" }
    }
  }
}`
	nomad := `{"Job": {"ID": "l", "TaskGroups": [{"Name": "g", "Tasks": [
  {"Name": "a", "Driver": "raw_exec", "Leader": true, "Config": {"command": "/bin/true"}},
  {"Name": "b", "Driver": "raw_exec", "Leader": false, "Config": {"command": "/bin/sleep"}}]}]}}`
	for _, tc := range []struct{ name, src string }{{"l.hcl", hcl}, {"l.json", nomad}} {
		job, err := Parse(tc.name, []byte(tc.src), "")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		job.Canonicalize()
		if err := job.Validate(); err != nil {
			t.Fatalf("%s: validate: %v", tc.name, err)
		}
		if ts := job.Groups[0].Tasks; !ts[0].Leader || ts[1].Leader {
			t.Fatalf("%s: leader = %v, %v; want true, false", tc.name, ts[0].Leader, ts[1].Leader)
		}
	}
	two := strings.Replace(hcl, `driver = "raw_exec"
      config { command = "/bin/sleep" }`, `driver = "raw_exec"
      leader = true
      config { command = "/bin/sleep" }`, 1)
	job, err := Parse("l.hcl", []byte(two), "")
	if err != nil {
		t.Fatal(err)
	}
	job.Canonicalize()
	if err := job.Validate(); err == nil || !strings.Contains(err.Error(), "only one task of a group may be its leader") {
		t.Fatalf("two leaders: %v", err)
	}
}
