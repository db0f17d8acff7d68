package jobspec

import (
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// The reschedule block reads the same from HCL and JSON, on the job and on
// a group, next to the update block's health settings.
func TestParseRescheduleAndUpdate(t *testing.T) {
	hcl := `
job "web" {
  reschedule {
    attempts       = 3
    interval       = "1h"
    delay          = "10s"
    delay_function = "fibonacci"
    max_delay      = "5m"
  }
  update {
    max_parallel     = 1
    min_healthy_time = "10s"
    healthy_deadline = "5m"
    auto_revert      = true
  }
  group "g" {
    reschedule { unlimited = true }
    task "t" {
      driver = "exec"
      config { command = "/bin/true" }
    }
  }
}`
	json := `{"job": {"id": "web",
  "reschedule": {"attempts": 3, "interval": "1h", "delay": "10s", "delay_function": "fibonacci", "max_delay": "5m"},
  "update": {"max_parallel": 1, "min_healthy_time": "10s", "healthy_deadline": "5m", "auto_revert": true},
  "groups": [{"name": "g", "reschedule": {"unlimited": true},
    "tasks": [{"name": "t", "driver": "exec", "config": {"command": "/bin/true"}}]}]}}`
	for _, tc := range []struct{ name, src string }{{"hcl", hcl}, {"json", json}} {
		t.Run(tc.name, func(t *testing.T) {
			job, err := Parse("web."+tc.name, []byte(tc.src), tc.name)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			job.Canonicalize()
			if err := job.Validate(); err != nil {
				t.Fatalf("validate: %v", err)
			}
			r := job.Reschedule
			if r == nil || r.AttemptsOrZero() != 3 || r.Interval.Std() != time.Hour || r.Delay.Std() != 10*time.Second ||
				r.DelayFunction != structs.DelayFunctionFibonacci || r.MaxDelay.Std() != 5*time.Minute {
				t.Fatalf("job reschedule = %+v", r)
			}
			u := job.Update
			if u == nil || u.MinHealthyTime.Std() != 10*time.Second || u.HealthyDeadline.Std() != 5*time.Minute || !u.AutoRevert {
				t.Fatalf("update = %+v", u)
			}
			eff := structs.EffectiveReschedulePolicy(job, job.Groups[0])
			if !eff.IsUnlimited() || eff.Delay.Std() != 10*time.Second || eff.DelayFunction != structs.DelayFunctionFibonacci {
				t.Fatalf("effective policy = %+v: the group's unlimited over the job's fields", eff)
			}
		})
	}
}

func TestParseRescheduleErrors(t *testing.T) {
	for _, tc := range []struct{ name, file, src, want string }{
		{"hcl typo", "bad.hcl", "job \"j\" {\n  reschedule {\n    delai = \"3s\"\n  }\n  group \"g\" {\n    task \"t\" { driver = \"exec\" }\n  }\n}\n",
			`bad.hcl:3,5-10: Unsupported argument; An argument named "delai" is not expected here. Did you mean "delay"?`},
		{"hcl bad duration", "bad.hcl", "job \"j\" {\n  group \"g\" {\n    reschedule { max_delay = \"soon\" }\n    task \"t\" { driver = \"exec\" }\n  }\n}\n",
			`bad.hcl:3,30-36: Incorrect attribute value type; Invalid value for attribute "max_delay": invalid duration "soon"`},
		{"json typo", "bad.json", `{"job": {"id": "j", "reschedule": {"atempts": 2}, "groups": [{"name": "g", "tasks": [{"name": "t", "driver": "exec"}]}]}}`,
			`job.reschedule: unknown field "atempts" (did you mean "attempts"?)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.file, []byte(tc.src), "")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to contain %s", err, tc.want)
			}
		})
	}
}

func TestValidateReschedule(t *testing.T) {
	n := func(i int) *int { return &i }
	yes := true
	for _, tc := range []struct {
		name string
		p    *structs.ReschedulePolicy
		want string
	}{
		{"negative attempts", &structs.ReschedulePolicy{Attempts: n(-1)}, "attempts must not be negative (got -1)"},
		{"negative delay", &structs.ReschedulePolicy{Delay: structs.Duration(-time.Second)}, "delay must not be negative (got -1s)"},
		{"unknown function", &structs.ReschedulePolicy{DelayFunction: "linear"}, `delay_function "linear" is unknown: use constant, exponential or fibonacci`},
		{"delay over max", &structs.ReschedulePolicy{Delay: structs.Duration(time.Hour), MaxDelay: structs.Duration(time.Minute)},
			"delay (1h0m0s) must not be longer than max_delay (1m0s)"},
		{"attempts and unlimited", &structs.ReschedulePolicy{Attempts: n(3), Unlimited: &yes}, "attempts = 3 has no effect with unlimited = true"},
		{"interval shorter than delay", &structs.ReschedulePolicy{Attempts: n(2), Interval: structs.Duration(time.Second), Delay: structs.Duration(time.Minute)},
			"interval (1s) must not be shorter than delay (1m0s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := &structs.Job{ID: "j", Groups: []*structs.TaskGroup{{Name: "g", Count: 1, Reschedule: tc.p,
				Tasks: []*structs.Task{{Name: "t", Driver: "exec"}}}}}
			job.Canonicalize()
			err := job.Validate()
			if err == nil || !strings.Contains(err.Error(), `group "g": reschedule: `+tc.want) {
				t.Fatalf("error = %v\nwant %s", err, tc.want)
			}
		})
	}
}
