package jobspec

import (
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// daily_window and check blocks read the same from HCL and JSON, and
// validate.
func TestParseDailyWindowAndChecks(t *testing.T) {
	hcl := `
job "office" {
  group "g" {
    network {
      port "http" {}
    }
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/sleep" }
      daily_window { start = "09:00"  end = "18:00"  time_zone = "Europe/Berlin" }
      check {
        name = "web"
        type = "http"
        port = "http"
        path = "/health"
        interval = "5s"
        timeout = "1s"
        check_restart { limit = 3  grace = "10s" }
      }
      check { type = "script"  command = "/bin/true"  args = ["-x"] }
    }
  }
}`
	json := `{"job": {"id": "office", "groups": [{"name": "g", "network": {"ports": [{"label": "http"}]}, "tasks": [{"name": "t", "driver": "raw_exec",
  "config": {"command": "/bin/sleep"},
  "daily_window": {"start": "09:00", "end": "18:00", "time_zone": "Europe/Berlin"},
  "checks": [{"name": "web", "type": "http", "port": "http", "path": "/health", "interval": "5s", "timeout": "1s",
              "check_restart": {"limit": 3, "grace": "10s"}},
             {"type": "script", "command": "/bin/true", "args": ["-x"]}]}]}]}}`
	for _, tc := range []struct{ name, src, format string }{{"hcl", hcl, "hcl"}, {"json", json, "json"}} {
		t.Run(tc.name, func(t *testing.T) {
			job, err := Parse("office."+tc.name, []byte(tc.src), tc.format)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			job.Canonicalize()
			if err := job.Validate(); err != nil {
				t.Fatalf("validate: %v", err)
			}
			task := job.Groups[0].Tasks[0]
			if w := task.DailyWindow; w == nil || w.Start != "09:00" || w.End != "18:00" || w.TimeZone != "Europe/Berlin" {
				t.Fatalf("daily_window = %+v", w)
			}
			if len(task.Checks) != 2 {
				t.Fatalf("checks = %+v", task.Checks)
			}
			c := task.Checks[0]
			if c.Name != "web" || c.Type != "http" || c.Port != "http" || c.Path != "/health" || c.Interval.Std() != 5*time.Second ||
				c.CheckRestart == nil || c.CheckRestart.Limit != 3 || c.CheckRestart.Grace.Std() != 10*time.Second {
				t.Fatalf("check = %+v (restart %+v)", c, c.CheckRestart)
			}
			if s := task.Checks[1]; s.Type != structs.CheckTypeScript || s.Command != "/bin/true" || len(s.Args) != 1 {
				t.Fatalf("script check = %+v", s)
			}
		})
	}
}
