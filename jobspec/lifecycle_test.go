package jobspec

import (
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// lifecycleJob is a group with one task of each kind, in Nomad's syntax.
const lifecycleJob = `
job "web" {
  group "g" {
    task "init" {
      driver = "exec"
      config { command = "/bin/true" }
      lifecycle {
        hook = "prestart"
      }
    }
    task "proxy" {
      driver = "exec"
      config { command = "/bin/sleep" }
      lifecycle {
        hook    = "prestart"
        sidecar = true
      }
    }
    task "main" {
      driver = "exec"
      config { command = "/bin/sleep" }
    }
    task "announce" {
      driver = "exec"
      config { command = "/bin/true" }
      lifecycle { hook = "poststart" }
    }
    task "cleanup" {
      driver = "exec"
      config { command = "/bin/true" }
      lifecycle { hook = "poststop" }
    }
  }
}`

const lifecycleJSON = `{"job": {"id": "web", "groups": [{"name": "g", "tasks": [
  {"name": "init", "driver": "exec", "config": {"command": "/bin/true"}, "lifecycle": {"hook": "prestart"}},
  {"name": "proxy", "driver": "exec", "config": {"command": "/bin/sleep"}, "lifecycle": {"hook": "prestart", "sidecar": true}},
  {"name": "main", "driver": "exec", "config": {"command": "/bin/sleep"}},
  {"name": "announce", "driver": "exec", "config": {"command": "/bin/true"}, "lifecycle": {"hook": "poststart"}},
  {"name": "cleanup", "driver": "exec", "config": {"command": "/bin/true"}, "lifecycle": {"hook": "poststop"}}]}]}}`

// The lifecycle block reads the same from HCL (Nomad's syntax) and JSON.
func TestLifecycleParse(t *testing.T) {
	for _, tc := range []struct{ name, src string }{{"hcl", lifecycleJob}, {"json", lifecycleJSON}} {
		t.Run(tc.name, func(t *testing.T) {
			job, err := Parse("web."+tc.name, []byte(tc.src), tc.name)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			job.Canonicalize()
			if err := job.Validate(); err != nil {
				t.Fatalf("validate: %v", err)
			}
			want := map[string]string{"init": "prestart", "proxy": "prestart", "main": "", "announce": "poststart", "cleanup": "poststop"}
			for _, task := range job.Groups[0].Tasks {
				if got := task.LifecycleHook(); got != want[task.Name] {
					t.Errorf("task %q hook = %q, want %q", task.Name, got, want[task.Name])
				}
				if task.IsSidecar() != (task.Name == "proxy") {
					t.Errorf("task %q sidecar = %v", task.Name, task.IsSidecar())
				}
			}
			if c := job.Groups[0].Tasks[1].Copy(); c.Lifecycle == job.Groups[0].Tasks[1].Lifecycle || !c.IsSidecar() {
				t.Errorf("Copy shares or loses the lifecycle block: %+v", c.Lifecycle)
			}
		})
	}
}

// Unknown fields in a lifecycle block are errors in both forms.
func TestLifecycleUnknownField(t *testing.T) {
	hcl := wrapTask("      driver = \"exec\"\n      lifecycle {\n        hook = \"prestart\"\n        sidecars = true\n      }")
	_, err := Parse("test.hcl", []byte(hcl), "hcl")
	if err == nil || !strings.Contains(err.Error(), `"sidecars" is not expected here`) {
		t.Fatalf("hcl: err = %v, want the unknown argument named", err)
	}
	js := `{"job": {"id": "j", "groups": [{"name": "g", "tasks": [{"name": "t", "driver": "exec",
	  "lifecycle": {"hook": "prestart", "sidecars": true}}]}]}}`
	_, err = Parse("j.json", []byte(js), "json")
	if err == nil || !strings.Contains(err.Error(), "sidecars") {
		t.Fatalf("json: err = %v, want the unknown key named", err)
	}
}

// Bad lifecycles are refused with a message naming the group and task (the
// job is named by whoever validates it, as for every other field).
func TestLifecycleValidate(t *testing.T) {
	task := func(name, hook string, sidecar bool) string {
		lc := ""
		if hook != "-" {
			lc = "lifecycle {\n hook = \"" + hook + "\"\n"
			if sidecar {
				lc += "sidecar = true\n"
			}
			lc += "}\n"
		}
		return "task \"" + name + "\" {\n driver = \"exec\"\n config { command = \"/bin/true\" }\n" + lc + "}\n"
	}
	job := func(tasks ...string) string {
		return "job \"j\" {\n group \"g\" {\n" + strings.Join(tasks, "") + "}\n}\n"
	}
	cases := map[string]struct{ src, want string }{
		"unknown hook": {job(task("a", "prerun", false), task("m", "-", false)),
			`group "g": task "a": lifecycle: hook "prerun" is invalid: use prestart, poststart or poststop`},
		"empty hook": {job(task("a", "", false), task("m", "-", false)),
			`group "g": task "a": lifecycle: hook is required`},
		"poststop sidecar": {job(task("a", "poststop", true), task("m", "-", false)),
			`task "a": lifecycle: sidecar = true is not allowed with hook "poststop"`},
		"only lifecycle tasks": {job(task("a", "prestart", false), task("b", "poststop", false)),
			`group "g": every task has a lifecycle block (a, b): a group needs at least one main task`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			j, err := Parse("j.hcl", []byte(c.src), "hcl")
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			j.Canonicalize()
			err = j.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	var ok structs.TaskLifecycle
	ok.Hook = structs.LifecycleHookPoststart
	ok.Sidecar = true
	if err := ok.Validate(); err != nil {
		t.Fatalf("poststart sidecar: %v", err)
	}
}
