package jobspec

import (
	"strings"
	"testing"
	"time"
)

// A task's identity blocks (Nomad syntax) decode into its identities.
func TestIdentityBlock(t *testing.T) {
	job, err := Parse("x.hcl", []byte(`job "x" {
  group "g" {
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
      identity {
        env  = true
        file = true
        aud  = ["billing"]
        ttl  = "1h"
      }
      identity {
        name = "vault_x"
        file = true
      }
    }
  }
}`), "")
	if err != nil {
		t.Fatal(err)
	}
	ids := job.Groups[0].Tasks[0].Identities
	if len(ids) != 2 {
		t.Fatalf("identities: %d, want 2", len(ids))
	}
	d := ids[0]
	if !d.Env || !d.File || d.TTL.Std() != time.Hour || len(d.Audience) != 1 || d.Audience[0] != "billing" || d.IdentityName() != "default" {
		t.Errorf("default identity decoded as %+v", d)
	}
	if ids[1].Name != "vault_x" || !ids[1].File || ids[1].Env {
		t.Errorf("named identity decoded as %+v", ids[1])
	}
}

// Bad identity blocks are refused with the block named.
func TestIdentityBlockErrors(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`identity { envv = true }`, "envv"},
		{`identity { ttl = "10s" }`, "ttl: must be at least 1m"},
		{`identity { ttl = "48h" }`, "ttl: must be at most 24h"},
		{`identity { name = "a-b" }`, "may hold only letters"},
		{`identity { aud = ["appmesh"] }`, "reserved for login tokens"},
		{"identity { file = true }\n identity { name = \"default\" }", `name "default" is also used by identity[0]`},
	} {
		job, err := Parse("x.hcl", []byte(`job "x" {
  group "g" {
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
      `+tc.body+`
    }
  }
}`), "")
		if err == nil {
			job.Canonicalize()
			err = job.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.body, err, tc.want)
		}
	}
}

// appmesh's JSON form reads identities too, and refuses unknown keys in
// them.
func TestIdentityJSON(t *testing.T) {
	js := `{"job": {"id": "j", "groups": [{"name": "g", "tasks": [{"name": "t", "driver": "exec",
	  "identities": [{"env": true, "file": true, "aud": ["svc"], "ttl": "30m"}]}]}]}}`
	job, err := Parse("j.json", []byte(js), "json")
	if err != nil {
		t.Fatal(err)
	}
	ids := job.Groups[0].Tasks[0].Identities
	if len(ids) != 1 || !ids[0].Env || !ids[0].File || ids[0].TTL.Std() != 30*time.Minute || ids[0].Audience[0] != "svc" {
		t.Fatalf("identities decoded as %+v", ids)
	}
	bad := strings.Replace(js, `"env": true`, `"env": true, "change_mode": "signal"`, 1)
	if _, err := Parse("j.json", []byte(bad), "json"); err == nil || !strings.Contains(err.Error(), "change_mode") {
		t.Fatalf("unknown key: err = %v, want change_mode named", err)
	}
}

// Nomad's API JSON gives the default identity as Task.Identity and named
// ones as Task.Identities; both are read, and Nomad-only fields with a
// value are named.
func TestIdentityNomadJSON(t *testing.T) {
	js := `{"Job": {"ID": "j", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Driver": "exec",
	  "Identity": {"Name": "default", "Env": true, "File": true, "Audience": ["svc"], "TTL": 3600000000000, "ChangeMode": "", "Filepath": ""},
	  "Identities": [{"Name": "db", "File": true}]}]}]}}`
	job, err := Parse("j.json", []byte(js), "json")
	if err != nil {
		t.Fatal(err)
	}
	ids := job.Groups[0].Tasks[0].Identities
	if len(ids) != 2 || !ids[0].Env || !ids[0].File || ids[0].TTL.Std() != time.Hour || ids[0].Audience[0] != "svc" || ids[1].Name != "db" {
		t.Fatalf("identities decoded as %+v", ids)
	}
	bad := strings.Replace(js, `"ChangeMode": ""`, `"ChangeMode": "restart"`, 1)
	if _, err := Parse("j.json", []byte(bad), "json"); err == nil || !strings.Contains(err.Error(), "Tasks[0].Identity.ChangeMode") {
		t.Fatalf("ChangeMode with a value: err = %v, want it named with its path", err)
	}
}
