package jobspec

import (
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

func TestNomadJSONJobTranslated(t *testing.T) {
	job, err := ParseFile("testdata/nomad/api-job.json")
	if err != nil {
		t.Fatal(err)
	}
	if job.ID != "nomad-api" || job.Type != structs.JobTypeBatch || job.Meta["owner"] != "ops" {
		t.Fatalf("job fields not read: %+v", job)
	}
	if c := job.Constraints[0]; c.Attribute != "${attr.kernel.name}" || c.Operator != "=" || c.Value != "linux" {
		t.Errorf("constraint LTarget/Operand/RTarget not mapped: %+v", c)
	}
	g := job.Groups[0]
	if g.Name != "work" || g.Count != 2 {
		t.Errorf("group: %+v", g)
	}
	if g.Network == nil || len(g.Network.Ports) != 1 || g.Network.Ports[0].Label != "http" || g.Network.Ports[0].To != 8080 {
		t.Errorf("Networks[0].DynamicPorts not mapped: %+v", g.Network)
	}
	if g.Restart == nil || *g.Restart.Attempts != 1 || g.Restart.Interval.Std() != time.Minute || g.Restart.Mode != "fail" {
		t.Errorf("RestartPolicy not mapped (nanosecond durations): %+v", g.Restart)
	}
	task := g.Tasks[0]
	if task.Driver != "raw_exec" || task.Config["command"] != "/bin/sh" || task.Env["GREETING"] != "hi" {
		t.Errorf("task: %+v", task)
	}
	if task.Resources.CPU != 100 || task.Resources.MemoryMB != 64 || task.KillTimeout.Std() != 5*time.Second {
		t.Errorf("resources or kill timeout: %+v %v", task.Resources, task.KillTimeout)
	}
	if task.Logs == nil || task.Logs.MaxFiles != 2 || task.Logs.MaxFileSizeMB != 5 {
		t.Errorf("LogConfig: %+v", task.Logs)
	}
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatalf("translated job does not validate: %v", err)
	}
}

func TestNomadJSONRegisterFields(t *testing.T) {
	reg, err := ParseNomadJSON("body", []byte(`{"Job": {"ID": "x", "TaskGroups": []}, "EnforceIndex": true, "JobModifyIndex": 7, "Submission": {"Source": "job {}"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !reg.EnforceIndex || reg.JobModifyIndex != 7 || reg.Job.ID != "x" {
		t.Errorf("register fields: %+v", reg)
	}
	// A bare Nomad job (no "Job" wrapper) is recognised by its TaskGroups.
	if !IsNomadJSON([]byte(`{"ID": "x", "TaskGroups": []}`)) || IsNomadJSON([]byte(`{"id": "x", "groups": []}`)) {
		t.Error("IsNomadJSON does not tell the two forms apart")
	}
}

func TestNomadJSONProblemsNameThePath(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"unknown task key", `{"Job": {"ID": "x", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Foo": 1}]}]}}`,
			`j.json: Job.TaskGroups[0].Tasks[0].Foo: unknown field`},
		{"wrong case", `{"Job": {"ID": "x", "TaskGroups": [{"Name": "g", "count": 1}]}}`,
			`j.json: Job.TaskGroups[0].count: unknown field (did you mean "Count"? keys of Nomad's JSON are PascalCase)`},
		{"typo", `{"Job": {"ID": "x", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Drivr": "exec"}]}]}}`,
			`j.json: Job.TaskGroups[0].Tasks[0].Drivr: unknown field (did you mean "Driver"?)`},
		{"nomad feature", `{"Job": {"ID": "x", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Vault": {"Policies": ["p"]}}]}]}}`,
			"j.json: Job.TaskGroups[0].Tasks[0].Vault: `vault` is a Nomad feature appmesh does not support (found in a task block)"},
		{"nomad setting with a value", `{"Job": {"ID": "x", "Region": "eu", "TaskGroups": []}}`,
			`j.json: Job.Region: Region is a Nomad setting appmesh does not have; leave it out or set it to null`},
		{"wrong type", `{"Job": {"ID": "x", "TaskGroups": [{"Name": "g", "Count": "2"}]}}`,
			`j.json: Job.TaskGroups[0].Count: expected a number, got string`},
		{"two networks", `{"Job": {"ID": "x", "TaskGroups": [{"Name": "g", "Networks": [{}, {}]}]}}`,
			`j.json: Job.TaskGroups[0].Networks: a group has at most one network`},
		{"cni mode", `{"Job": {"ID": "x", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Driver": "raw_exec", "Config": {"command": "true"}}], "Networks": [{"Mode": "cni/mynet"}]}]}}`,
			`j.json: Job.TaskGroups[0].Networks[0].Mode: network mode "cni/mynet" is not supported: use "host" (the default) or "bridge"`},
		{"register key", `{"Job": {"ID": "x"}, "Force": true}`, `j.json: Force: unknown field`},
		{"null job", `{"Job": null}`, `"Job" is null`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("j.json", []byte(tc.in), "")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant it to contain %s", err, tc.want)
			}
			if !structs.IsValidation(err) {
				t.Errorf("want a validation error, got %T", err)
			}
		})
	}
}

func TestNomadJSONPeriodic(t *testing.T) {
	job, err := Parse("p.json", []byte(`{"Job": {"ID": "p", "Type": "batch", "Periodic": {"Enabled": true, "SpecType": "cron", "Spec": "*/15 * * * *", "ProhibitOverlap": true, "TimeZone": "UTC"}, "TaskGroups": []}}`), "")
	if err != nil {
		t.Fatal(err)
	}
	p := job.Periodic
	if p == nil || len(p.Crons) != 1 || p.Crons[0] != "*/15 * * * *" || !p.ProhibitOverlap || p.TimeZone != "UTC" {
		t.Fatalf("periodic: %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("Nomad's five-field cron must validate: %v", err)
	}
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{"KillTimeout": "kill_timeout", "ParentID": "parent_id", "ID": "id",
		"MemoryMB": "memory_mb", "CPU": "cpu", "MaxFileSizeMB": "max_file_size_mb", "TimeZone": "time_zone"} {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}

// appmesh's own JSON form names Nomad features as the HCL parser does.
func TestJSONNamesNomadFeatures(t *testing.T) {
	_, err := Parse("j.json", []byte(`{"id": "x", "groups": [{"name": "g", "tasks": [{"name": "t", "driver": "exec", "vault": {}}]}]}`), "")
	want := "j.json:1:80: groups[0].tasks[0].vault: `vault` is a Nomad feature appmesh does not support (found in a task block)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

// The group-level blocks of Nomad's API JSON that appmesh has.
func TestNomadJSONGroupBlocks(t *testing.T) {
	src := `{"Job": {"ID": "g", "Migrate": {"MaxParallel": 1, "HealthCheck": "checks", "MinHealthyTime": 10000000000, "HealthyDeadline": 300000000000},
  "TaskGroups": [{
    "Name": "web", "Count": 2,
    "Networks": [{"ReservedPorts": [{"Label": "http", "Value": 8080, "To": 0}]}],
    "Services": [{"Name": "web", "PortLabel": "http", "Provider": "consul", "Tags": ["a"],
      "Checks": [{"Name": "alive", "Type": "script", "Command": "/bin/true", "TaskName": "t", "OnUpdate": "ignore", "Interval": 10000000000, "Timeout": 2000000000, "Expose": false}]}],
    "Scaling": {"ID": "x", "Type": "horizontal", "Target": {"Group": "web"}, "Min": 1, "Max": 4, "Enabled": true, "Policy": {"cooldown": "1m"}},
    "Affinities": [{"LTarget": "${node.datacenter}", "RTarget": "dc1", "Operand": "=", "Weight": 50}],
    "Spreads": [{"Attribute": "${node.datacenter}", "Weight": 100, "SpreadTarget": [{"Value": "dc1", "Percent": 100}]}],
    "Update": {"MaxParallel": 1, "MinHealthyTime": 5000000000, "HealthyDeadline": 60000000000, "AutoRevert": true},
    "Tasks": [{"Name": "t", "Driver": "raw_exec", "Config": {"command": "/bin/sleep", "args": ["60"]},
      "Artifacts": [{"GetterSource": "https://example.com/a.txt", "GetterOptions": {"checksum": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}, "RelativeDest": "local/"}]}]
  }]}}`
	job, err := Parse("g.json", []byte(src), "")
	if err != nil {
		t.Fatal(err)
	}
	g := job.Groups[0]
	if g.Network == nil || g.Network.Ports[0].Static != 8080 {
		t.Errorf("ReservedPorts: %+v", g.Network)
	}
	if s := g.Services[0]; s.Port != "http" || s.Checks[0].Task != "t" || s.Checks[0].OnUpdate != "ignore" || s.Checks[0].Interval.Std().Seconds() != 10 {
		t.Errorf("service: %+v %+v", s, s.Checks[0])
	}
	if g.Scaling == nil || *g.Scaling.Min != 1 || *g.Scaling.Max != 4 || g.Scaling.Policy["cooldown"] != "1m" {
		t.Errorf("scaling: %+v", g.Scaling)
	}
	if a := g.Affinities[0]; a.Attribute != "${node.datacenter}" || a.Value != "dc1" || a.Weight != 50 {
		t.Errorf("affinity: %+v", a)
	}
	if sp := g.Spreads[0]; len(sp.Targets) != 1 || sp.Targets[0].Value != "dc1" || sp.Targets[0].Percent != 100 {
		t.Errorf("spread: %+v", sp)
	}
	if g.Update == nil || !g.Update.AutoRevert || g.Update.MaxParallel != 1 {
		t.Errorf("update: %+v", g.Update)
	}
	if art := g.Tasks[0].Artifacts[0]; art.Source != "https://example.com/a.txt" || art.Destination != "local/" || art.Options["checksum"] == "" {
		t.Errorf("artifact: %+v", art)
	}
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if g.Migrate == nil || *g.Migrate.MaxParallel != 1 {
		t.Errorf("the job's migrate is not the group's default: %+v", g.Migrate)
	}
}

func TestNomadJSONBridgeNetwork(t *testing.T) {
	in := `{"Job": {"ID": "b", "TaskGroups": [{"Name": "g",
	  "Tasks": [{"Name": "t", "Driver": "raw_exec", "Config": {"command": "true"}}],
	  "Networks": [{"Mode": "bridge", "Hostname": "web-1",
	    "DNS": {"Servers": ["10.0.0.2"], "Searches": ["svc.local"], "Options": ["ndots:2"]},
	    "DynamicPorts": [{"Label": "http", "To": 8080}]}]}]}}`
	job, err := Parse("b.json", []byte(in), "")
	if err != nil {
		t.Fatal(err)
	}
	n := job.Groups[0].Network
	if n == nil || n.Mode != "bridge" || n.Hostname != "web-1" || n.DNS == nil ||
		strings.Join(n.DNS.Servers, ",") != "10.0.0.2" || strings.Join(n.DNS.Searches, ",") != "svc.local" ||
		strings.Join(n.DNS.Options, ",") != "ndots:2" || len(n.Ports) != 1 || n.Ports[0].To != 8080 {
		t.Fatalf("network = %+v dns %+v", n, n.DNS)
	}
	if err := n.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
}
