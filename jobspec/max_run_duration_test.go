package jobspec

import (
	"strings"
	"testing"
	"time"
)

// max_run_duration is a group attribute of batch and sysbatch jobs, from
// HCL and from Nomad's API JSON; it must be positive and is refused on
// service jobs, as Nomad does.
func TestMaxRunDuration(t *testing.T) {
	hcl := func(typ, d string) string {
		return `job "x" {
  type = "` + typ + `"
  group "g" {
    max_run_duration = "` + d + `"
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
    }
  }
}`
	}
	job, err := Parse("x.hcl", []byte(hcl("batch", "3s")), "")
	if err != nil {
		t.Fatal(err)
	}
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
	if d := job.LookupGroup("g").RunLimit(); d != 3*time.Second {
		t.Fatalf("max_run_duration = %s", d)
	}

	job, err = Parse("x.json", []byte(`{"Job": {"ID": "x", "Type": "sysbatch", "TaskGroups": [{"Name": "g", "MaxRunDuration": 5000000000,
	  "Tasks": [{"Name": "t", "Driver": "raw_exec", "Config": {"command": "/bin/true"}}]}]}}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if d := job.LookupGroup("g").RunLimit(); d != 5*time.Second {
		t.Fatalf("JSON MaxRunDuration = %s", d)
	}

	for _, c := range []struct{ typ, d, want string }{
		{"service", "3s", "max_run_duration applies only to batch and sysbatch jobs"},
		{"batch", "-1s", "max_run_duration must be positive"},
	} {
		job, err := Parse("x.hcl", []byte(hcl(c.typ, c.d)), "")
		if err != nil {
			t.Fatal(err)
		}
		job.Canonicalize()
		if err := job.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%s %s: got %v, want %q", c.typ, c.d, err, c.want)
		}
	}
}
