package jobspec

import (
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// A template block in Nomad's syntax, every argument and nested block
// included, decodes into the task; the JSON form uses the same names.
// Nomad's ${...} runtime text inside data stays literal.
func TestTemplateParse(t *testing.T) {
	job := parseHCLString(t, wrapTask(`      driver = "exec"
      restart {
        render_templates = true
      }
      template {
        data = <<EOH
host={{ env "node.unique.name" }} dir=${NOMAD_TASK_DIR}
EOH
        destination          = "local/app.conf"
        change_mode          = "signal"
        change_signal        = "SIGHUP"
        splay                = "0s"
        perms                = "0600"
        uid                  = 1000
        gid                  = 1000
        left_delimiter       = "[["
        right_delimiter      = "]]"
        error_on_missing_key = true
        wait {
          min = "2s"
          max = "10s"
        }
      }
      template {
        source      = "local/env.tpl"
        destination = "secrets/file.env"
        env         = true
        change_mode = "script"
        change_script {
          command       = "/bin/reload"
          args          = ["-q"]
          timeout       = "3s"
          fail_on_error = true
        }
      }`))
	task := job.Groups[0].Tasks[0]
	if len(task.Templates) != 2 {
		t.Fatalf("templates = %d, want 2", len(task.Templates))
	}
	a := task.Templates[0]
	if !strings.Contains(a.Data, `{{ env "node.unique.name" }}`) || !strings.Contains(a.Data, "${NOMAD_TASK_DIR}") {
		t.Fatalf("data = %q", a.Data)
	}
	if a.Destination != "local/app.conf" || a.ChangeMode != "signal" || a.ChangeSignal != "SIGHUP" ||
		a.SplayOrDefault() != 0 || a.Perms != "0600" || *a.UID != 1000 || *a.GID != 1000 ||
		a.LeftDelim != "[[" || a.RightDelim != "]]" || !a.ErrMissingKey ||
		a.Wait.Min.Std() != 2*time.Second || a.Wait.Max.Std() != 10*time.Second {
		t.Fatalf("template[0] = %+v", a)
	}
	b := task.Templates[1]
	if b.Source != "local/env.tpl" || !b.Env || b.ChangeScript == nil || b.ChangeScript.Command != "/bin/reload" ||
		b.ChangeScript.Args[0] != "-q" || b.ChangeScript.ScriptTimeout() != 3*time.Second || !b.ChangeScript.FailOnError ||
		b.SplayOrDefault() != structs.DefaultTemplateSplay {
		t.Fatalf("template[1] = %+v", b)
	}
	if !task.Restart.RendersTemplates() {
		t.Fatalf("restart.render_templates not set: %+v", task.Restart)
	}
	if err := task.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}

	js := `{"job": {"id": "j", "groups": [{"name": "g", "tasks": [{"name": "t", "driver": "exec",
	  "restart": {"render_templates": true},
	  "templates": [{"data": "x", "destination": "local/x", "env": true, "change_mode": "noop", "splay": "1s",
	    "wait": {"min": "1s"}, "change_script": null}]}]}]}}`
	jj, err := Parse("j.json", []byte(js), "json")
	if err != nil {
		t.Fatalf("parse json: %v", err)
	}
	jt := jj.Groups[0].Tasks[0]
	if got := jt.Templates; len(got) != 1 || !got[0].Env || got[0].ChangeMode != "noop" || got[0].SplayOrDefault() != time.Second {
		t.Fatalf("json templates = %+v", got)
	}
	if !jt.Restart.RendersTemplates() {
		t.Fatalf("json render_templates not set")
	}
}

// Unknown arguments in a template (or its nested blocks) are errors that
// name the block; Nomad's vault_grace is named as a Nomad-only feature.
func TestTemplateParseUnknown(t *testing.T) {
	cases := map[string]struct{ body, want string }{
		"unknown arg":      {`template { data = "x"  destination = "local/x"  colour = "red" }`, `An argument named "colour" is not expected here`},
		"vault_grace":      {`template { data = "x"  destination = "local/x"  vault_grace = "5s" }`, "`vault_grace` is a Nomad feature appmesh does not support (found in a template block)"},
		"unknown in wait":  {"template {\n data = \"x\"\n destination = \"local/x\"\n wait {\n minimum = \"1s\"\n }\n }", `"minimum" is not expected here`},
		"unknown in cs":    {"template {\n data = \"x\"\n destination = \"local/x\"\n change_mode = \"script\"\n change_script {\n cmd = \"x\"\n }\n }", `"cmd" is not expected here`},
		"wait as argument": {`template { data = "x"  destination = "local/x"  wait = 3 }`, `"wait" is a block, not an argument`},
	}
	for name, c := range cases {
		_, err := Parse("t.hcl", []byte(wrapTask("      driver = \"exec\"\n"+c.body)), "hcl")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
	js := `{"job": {"id": "j", "groups": [{"name": "g", "tasks": [{"name": "t", "driver": "exec",
	  "templates": [{"data": "x", "destination": "local/x", "colour": "red"}]}]}]}}`
	if _, err := Parse("j.json", []byte(js), "json"); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("json unknown field: err = %v", err)
	}
}

// Bad templates are refused at validation with a message naming the fault.
func TestTemplateValidate(t *testing.T) {
	neg := structs.Duration(-time.Second)
	cases := map[string]struct {
		t    structs.Template
		want string
	}{
		"no data":        {structs.Template{Destination: "local/x"}, "data or source is required"},
		"both":           {structs.Template{Data: "x", Source: "local/t", Destination: "local/x"}, "data and source are both set"},
		"no destination": {structs.Template{Data: "x"}, "destination is required"},
		"abs dest":       {structs.Template{Data: "x", Destination: "/etc/passwd"}, "must be relative to the task's directory"},
		"escape dest":    {structs.Template{Data: "x", Destination: "local/../../etc/x"}, "leaves the task's directory"},
		"dot dest":       {structs.Template{Data: "x", Destination: "./"}, "names the task's directory itself"},
		"escape source":  {structs.Template{Source: "../other/t", Destination: "local/x"}, `source "../other/t" leaves the task's directory`},
		"bad mode":       {structs.Template{Data: "x", Destination: "local/x", ChangeMode: "reload"}, `change_mode "reload" is invalid`},
		"signal no sig":  {structs.Template{Data: "x", Destination: "local/x", ChangeMode: "signal"}, "needs change_signal"},
		"script no cmd":  {structs.Template{Data: "x", Destination: "local/x", ChangeMode: "script"}, "needs change_script"},
		"stray signal":   {structs.Template{Data: "x", Destination: "local/x", ChangeSignal: "SIGHUP"}, "change_signal is set but change_mode is \"restart\""},
		"bad perms":      {structs.Template{Data: "x", Destination: "local/x", Perms: "rw-r--r--"}, "must be an octal file mode"},
		"one delim":      {structs.Template{Data: "x", Destination: "local/x", LeftDelim: "[["}, "must be set together"},
		"neg splay":      {structs.Template{Data: "x", Destination: "local/x", Splay: &neg}, "splay must not be negative"},
		"wait order": {structs.Template{Data: "x", Destination: "local/x",
			Wait: &structs.TemplateWait{Min: structs.Duration(time.Minute), Max: structs.Duration(time.Second)}}, "min (1m0s) is greater than max (1s)"},
	}
	for name, c := range cases {
		err := c.t.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
	task := &structs.Task{Name: "t", Driver: "exec", Templates: []*structs.Template{
		{Data: "a", Destination: "local/x"}, {Data: "b", Destination: "local/./x"},
	}}
	if err := task.Validate(); err == nil || !strings.Contains(err.Error(), `template[1]: destination "local/./x" is also written by template[0]`) {
		t.Errorf("duplicate destination: err = %v", err)
	}
}
