package jobspec

import (
	"reflect"
	"strings"
	"testing"
)

// Nomad's http check fields and flap thresholds parse from HCL (header
// as a block of lists, as Nomad writes it) and from Nomad's API JSON.
func TestParseCheckHTTPFieldsAndThresholds(t *testing.T) {
	hcl := `
job "c" {
  group "g" {
    network {
      port "http" {}
    }
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/sleep" }
      check {
        type     = "http"
        port     = "http"
        path     = "/health"
        method   = "POST"
        body     = "{\"ping\":1}"
        tls_skip_verify = true
        success_before_passing   = 2
        failures_before_critical = 3
        header {
          Authorization = ["Basic abc"]
          X-Multi       = ["a", "b"]
        }
      }
    }
  }
}`
	nomad := `{"Job": {"ID": "c", "TaskGroups": [{"Name": "g", "Networks": [{"DynamicPorts": [{"Label": "http"}]}],
  "Tasks": [{"Name": "t", "Driver": "raw_exec", "Config": {"command": "/bin/sleep"},
    "Checks": [{"Type": "http", "PortLabel": "http", "Path": "/health", "Method": "POST", "Body": "{\"ping\":1}",
      "TLSSkipVerify": true, "SuccessBeforePassing": 2, "FailuresBeforeCritical": 3,
      "Header": {"Authorization": ["Basic abc"], "X-Multi": ["a", "b"]}}]}]}]}}`
	for _, tc := range []struct{ name, src string }{{"c.hcl", hcl}, {"c.json", nomad}} {
		t.Run(tc.name, func(t *testing.T) {
			job, err := Parse(tc.name, []byte(tc.src), "")
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			job.Canonicalize()
			if err := job.Validate(); err != nil {
				t.Fatalf("validate: %v", err)
			}
			c := job.Groups[0].Tasks[0].Checks[0]
			want := map[string][]string{"Authorization": {"Basic abc"}, "X-Multi": {"a", "b"}}
			if c.Method != "POST" || c.Body != `{"ping":1}` || !c.TLSSkipVerify || c.SuccessBeforePassing != 2 ||
				c.FailuresBeforeCritical != 3 || !reflect.DeepEqual(c.Header, want) {
				t.Fatalf("check = %+v", c)
			}
		})
	}
}

func TestCheckHTTPFieldsValidated(t *testing.T) {
	for _, tc := range []struct{ check, want string }{
		{`type = "tcp"  port = "http"  method = "POST"`, "belong to http checks"},
		{`type = "http"  port = "http"  method = "get me"`, "method \"get me\" is invalid"},
		{`type = "http"  port = "http"  failures_before_critical = -1`, "must not be negative"},
	} {
		src := `job "c" {
  group "g" {
    network {
      port "http" {}
    }
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/sleep" }
      check { ` + tc.check + ` }
    }
  }
}`
		job, err := Parse("c.hcl", []byte(src), "")
		if err == nil {
			job.Canonicalize()
			err = job.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: want error with %q, got %v", tc.check, tc.want, err)
		}
	}
}
