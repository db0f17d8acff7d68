package jobspec

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

func parseHCLString(t *testing.T, src string) *structs.Job {
	t.Helper()
	job, err := Parse("test.hcl", []byte(src), "hcl")
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return job
}

// wrapTask puts task body lines into a job "j" / group "web" / task "server".
// The task body starts on line 4.
func wrapTask(body string) string {
	return "job \"j\" {\n  group \"web\" {\n    task \"server\" {\n" + body + "\n    }\n  }\n}\n"
}

func TestHCLErrors(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []string // substrings of the error, in order
	}{
		{
			name: "unknown argument in task",
			src:  wrapTask("      driver = \"exec\"\n      foo = 1"),
			want: []string{`test.hcl:5,7-10: Unsupported argument; An argument named "foo" is not expected here.`},
		},
		{
			name: "misspelled argument suggests",
			src:  wrapTask(`      drvier = "exec"`),
			want: []string{`test.hcl:4,7-13: Unsupported argument`, `Did you mean "driver"?`},
		},
		{
			name: "a group's argument in the job block says where it goes",
			src:  "job \"j\" {\n  type = \"batch\"\n  max_run_duration = \"1h\"\n  group \"web\" {}\n}\n",
			want: []string{`test.hcl:3,3-19: Unsupported argument; An argument named "max_run_duration" is not expected here. It is an argument of the group block: group { max_run_duration = ... }.`},
		},
		{
			name: "a task's argument in the group block says where it goes",
			src:  "job \"j\" {\n  group \"web\" {\n    driver = \"exec\"\n  }\n}\n",
			want: []string{`test.hcl:3,5-11: Unsupported argument`, `It is an argument of the task block: task { driver = ... }.`},
		},
		{
			name: "syntax error",
			src:  "job \"j\" {\n  group \"web\" {\n    count = \n  }\n}\n",
			want: []string{`test.hcl:3,`, `Invalid expression`},
		},
		{
			name: "unclosed block",
			src:  "job \"j\" {\n  group \"web\" {\n",
			want: []string{`test.hcl:2,`, `Unclosed configuration block`},
		},
		{
			name: "count of the wrong type",
			src:  "job \"j\" {\n  group \"web\" {\n    count = \"two\"\n  }\n}\n",
			want: []string{`test.hcl:3,13-18: Incorrect attribute value type; Inappropriate value for attribute "count": a whole number is required, got string "two".`},
		},
		{
			name: "fractional count",
			src:  `job "j" { group "web" { count = 1.5 } }`,
			want: []string{`attribute "count": a whole number is required, got number 1.5`},
		},
		{
			name: "bad duration",
			src:  wrapTask(`      kill_timeout = "5 parsecs"`),
			want: []string{`test.hcl:4,22-33: Incorrect attribute value type; Invalid value for attribute "kill_timeout": invalid duration "5 parsecs"`},
		},
		{
			name: "server-set field",
			src:  "job \"j\" {\n  version = 3\n}\n",
			want: []string{`test.hcl:2,3-10: Unsupported argument; "version" is set by the servers and cannot be written in a job file.`},
		},
		{
			name: "missing label",
			src:  "job \"j\" {\n  group {\n  }\n}\n",
			want: []string{`test.hcl:2,3-8: Missing block label; A group block needs its name as a label: group "<name>" { ... }.`},
		},
		{
			name: "missing job id",
			src:  "job {\n}\n",
			want: []string{`test.hcl:1,1-4: Missing block label; A job block needs its id as a label`},
		},
		{
			name: "extraneous label",
			src:  wrapTask(`      resources "big" { cpu = 100 }`),
			want: []string{`test.hcl:4,17-22: Extraneous block label; A resources block takes no labels: resources { ... }.`},
		},
		{
			name: "duplicate single block",
			src:  wrapTask("      resources { cpu = 1 }\n      resources { cpu = 2 }"),
			want: []string{`test.hcl:5,7-16: Duplicate resources; Only one resources may be given in a task; it is already set at line 4.`},
		},
		{
			name: "block written as argument",
			src:  wrapTask(`      resources = { cpu = 1 }`),
			want: []string{`Unsupported argument; "resources" is a block, not an argument: write resources { ... } without "=".`},
		},
		{
			name: "plural JSON name used in HCL",
			src:  "job \"j\" {\n  groups = []\n}\n",
			want: []string{`test.hcl:2,3-9: Unsupported argument`, `Write one group { ... } block for each item instead.`},
		},
		{
			name: "argument written as block",
			src:  `job "j" { group "web" { count { } } }`,
			want: []string{`Unsupported block type; "count" is an argument, not a block: write count = <value>.`},
		},
		{
			name: "label written as argument",
			src:  `job "j" { group "web" { name = "other" } }`,
			want: []string{`The name of a group is its block label: group "<name>" { ... }.`},
		},
		{
			name: "no job block",
			src:  "# empty\n",
			want: []string{`test.hcl:1,1-1: Missing job block`},
		},
		{
			name: "two job blocks",
			src:  "job \"a\" {}\njob \"b\" {}\n",
			want: []string{`test.hcl:2,1-4: Duplicate job block; A job file holds exactly one job; the first job block is at line 1.`},
		},
		{
			name: "top-level argument and block",
			src:  "region = \"x\"\njob \"a\" {}\nservice \"v\" {}\n",
			want: []string{
				`test.hcl:1,1-7: Unsupported argument; An argument named "region" is not expected here.`,
				`test.hcl:3,1-8: Unsupported block type; Blocks of type "service" are not expected here.`,
			},
		},
		{
			name: "variable outside a string",
			src:  `job "j" { constraint { attribute = meta.rack } }`,
			want: []string{`Unknown variable`, `"${meta.rack}"`},
		},
		{
			name: "unknown function",
			src:  `job "j" { type = nosuch("batch") }`,
			want: []string{`Call to unknown function`},
		},
		{
			name: "template directive",
			src:  `job "j" { meta = { a = "%{ if meta.x == "y" }x%{ endif }" } }`,
			want: []string{`Template directives are not supported`},
		},
		{
			name: "env with a nested block",
			src:  wrapTask(`      env { inner { } }`),
			want: []string{`test.hcl:4,13-18: Unsupported block type; A env block holds only KEY = value lines`},
		},
		{
			name: "env as argument and block",
			src:  wrapTask("      env = { A = \"1\" }\n      env { B = \"2\" }"),
			want: []string{`test.hcl:5,7-10: Duplicate env; Only one env may be given in a task; it is already set at line 4.`},
		},
		{
			name: "env value of the wrong type",
			src:  wrapTask(`      env = { A = ["x"] }`),
			want: []string{`Incorrect attribute value type; Inappropriate value for attribute "env"`},
		},
		{
			name: "list where a string is expected",
			src:  wrapTask(`      driver = ["exec"]`),
			want: []string{`Inappropriate value for attribute "driver": a string is required, got a list.`},
		},
		{
			name: "duplicate object key",
			src:  `job "j" { meta = { a = "1", a = "2" } }`,
			want: []string{`Duplicate object key; The key "a" is given more than once.`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("test.hcl", []byte(tc.src), "hcl")
			if err == nil {
				t.Fatalf("expected an error containing %q", tc.want)
			}
			assertInOrder(t, err.Error(), tc.want)
			if !structs.IsValidation(err) {
				t.Errorf("error should be a validation error (HTTP 400): %T", err)
			}
		})
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func assertInOrder(t *testing.T, got string, want []string) {
	t.Helper()
	rest := got
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("error does not contain %q (in order)\nfull error:\n%s", w, got)
		}
		rest = rest[i+len(w):]
	}
}

// Every problem is reported, sorted by position, not just the first.
func TestHCLCollectsAllDiagnostics(t *testing.T) {
	src := "job \"j\" {\n" +
		"  bogus = 1\n" +
		"  group \"web\" {\n" +
		"    count = \"x\"\n" +
		"    task \"server\" {\n" +
		"      driver = \"exec\"\n" +
		"      nope = true\n" +
		"    }\n" +
		"  }\n" +
		"}\n"
	_, err := Parse("multi.hcl", []byte(src), "")
	var de *DiagnosticsError
	if !errors.As(err, &de) {
		t.Fatalf("want *DiagnosticsError, got %T: %v", err, err)
	}
	var lines []int
	for _, d := range de.Diagnostics {
		lines = append(lines, d.Subject.Start.Line)
	}
	if !reflect.DeepEqual(lines, []int{2, 4, 7}) {
		t.Fatalf("diagnostic lines = %v, want [2 4 7]\n%v", lines, err)
	}
	if !strings.HasPrefix(err.Error(), "3 problems:") {
		t.Errorf("error should list all three problems:\n%s", err)
	}
}

func TestHCLInterpolationStaysLiteral(t *testing.T) {
	src := `job "j" {
  constraint {
    attribute = "${meta.rack}"
    value     = "r1"
  }
  constraint {
    attribute = "${attr.kernel.name}"
    operator  = "="
    value     = "linux"
  }
  group "g" {
    constraint {
      attribute = "${ node.unique.name }"
      value     = "rack-${meta.rack}-${attr["x.y"]}"
    }
    task "t" {
      driver = "exec"
      env = {
        HOME_DIR = "${env.HOME}/data"
        ESCAPED  = "$${not.interpolated}"
        PLAIN    = "100%"
      }
      config {
        args = ["${meta.rack}", "--id=${NOMAD_ALLOC_ID}", "n-${1 + 2}"]
        script = <<EOT
echo ${meta.rack}
EOT
      }
    }
  }
}
`
	job := parseHCLString(t, src)
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}
	check("job constraint 1", job.Constraints[0].Attribute, "${meta.rack}")
	check("job constraint 2", job.Constraints[1].Attribute, "${attr.kernel.name}")
	gc := job.Groups[0].Constraints[0]
	check("group constraint attribute", gc.Attribute, "${node.unique.name}")
	check("group constraint value", gc.Value, `rack-${meta.rack}-${attr["x.y"]}`)
	task := job.Groups[0].Tasks[0]
	check("env HOME_DIR", task.Env["HOME_DIR"], "${env.HOME}/data")
	check("env ESCAPED", task.Env["ESCAPED"], "${not.interpolated}")
	check("env PLAIN", task.Env["PLAIN"], "100%")
	wantArgs := []any{"${meta.rack}", "--id=${NOMAD_ALLOC_ID}", "n-3"}
	if !reflect.DeepEqual(task.Config["args"], wantArgs) {
		t.Errorf("config args = %#v, want %#v", task.Config["args"], wantArgs)
	}
	check("heredoc", task.Config["script"].(string), "echo ${meta.rack}\n")
}

func TestHCLConfigIsFreeForm(t *testing.T) {
	job := parseHCLString(t, mustRead(t, "testdata/api-supported.hcl"))
	got := job.Groups[0].Tasks[0].Config
	want := map[string]any{
		"image": "example/api:1.2",
		"args":  []any{"--rack", "${meta.rack}", "--node=${node.unique.name}"},
		"mount": []any{
			map[string]any{"type": "bind", "source": "/srv/data"},
			map[string]any{"type": "tmpfs", "target": "/tmp"},
		},
		"logging": map[string]any{"type": "journald"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("config:\n got %#v\nwant %#v", got, want)
	}
}

func TestHCLConfigLabelsAndValues(t *testing.T) {
	job := parseHCLString(t, wrapTask(`      driver = "docker"
      config {
        port "http" { static = 8080 }
        port "admin" {}
        port "http" { static = 8081 }
        labels = { "com.example/team" = "a", n = 1.5, on = true, none = null }
        deep { a { b { c = [1, "x", { d = 2 }] } } }
      }`))
	got := job.Groups[0].Tasks[0].Config
	want := map[string]any{
		"port": map[string]any{
			"http":  []any{map[string]any{"static": 8080.0}, map[string]any{"static": 8081.0}},
			"admin": map[string]any{},
		},
		"labels": map[string]any{"com.example/team": "a", "n": 1.5, "on": true, "none": nil},
		"deep": map[string]any{"a": map[string]any{"b": map[string]any{
			"c": []any{1.0, "x", map[string]any{"d": 2.0}},
		}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("config:\n got %#v\nwant %#v", got, want)
	}
}

func TestHCLConfigErrors(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"argument and block", "config {\n  a = 1\n  a { }\n}", `Duplicate argument; "a" is already set as an argument at line 5`},
		{"mixed label counts", "config {\n  a \"x\" { }\n  a { }\n}", `Inconsistent block labels`},
		{"label on config", `config "x" { }`, `Extraneous block label; A config block takes no labels`},
	}
	for _, tc := range cases {
		_, err := Parse("test.hcl", []byte(wrapTask(tc.body)), "hcl")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestHCLConfigAsArgument(t *testing.T) {
	job := parseHCLString(t, wrapTask(`      config = { command = "/bin/true", args = [] }`))
	want := map[string]any{"command": "/bin/true", "args": []any{}}
	if got := job.Groups[0].Tasks[0].Config; !reflect.DeepEqual(got, want) {
		t.Fatalf("config = %#v, want %#v", got, want)
	}
}

func TestHCLMapsAsBlockOrArgument(t *testing.T) {
	want := map[string]string{"A": "1", "B": "two", "C": "true"}
	for name, body := range map[string]string{
		"block":    "env {\n  A = 1\n  B = \"two\"\n  C = true\n}",
		"argument": `env = { A = 1, "B" = "two", C = true }`,
	} {
		job := parseHCLString(t, wrapTask(body))
		if got := job.Groups[0].Tasks[0].Env; !reflect.DeepEqual(got, want) {
			t.Errorf("env as %s = %#v, want %#v", name, got, want)
		}
	}
	job := parseHCLString(t, `job "j" {
  meta { owner = "ops" }
  group "g" {
    meta = { tier = "web" }
    task "t" {
      meta { x = "y" }
    }
  }
}`)
	if job.Meta["owner"] != "ops" || job.Groups[0].Meta["tier"] != "web" || job.Groups[0].Tasks[0].Meta["x"] != "y" {
		t.Errorf("meta at every level: %v %v %v", job.Meta, job.Groups[0].Meta, job.Groups[0].Tasks[0].Meta)
	}
}

func TestHCLScalarConversions(t *testing.T) {
	job := parseHCLString(t, `job "j" {
  name        = "nice name"
  namespace   = "prod"
  priority    = 90
  datacenters = ["dc1", 2]
  constraint {
    attribute = "${attr.cpu.numcores}"
    operator  = ">="
    value     = 4
  }
  group "g" {
    count = (3)
    task "t" {
      driver       = "exec"
      kill_timeout = "1m30s"
      resources { cpu = -1 + 501 }
    }
  }
}`)
	if job.Name != "nice name" || job.Namespace != "prod" || job.Priority != 90 {
		t.Errorf("job scalars: %+v", job)
	}
	if !reflect.DeepEqual(job.Datacenters, []string{"dc1", "2"}) {
		t.Errorf("datacenters = %v", job.Datacenters)
	}
	if job.Constraints[0].Value != "4" {
		t.Errorf("constraint value = %q, want \"4\"", job.Constraints[0].Value)
	}
	task := job.Groups[0].Tasks[0]
	if job.Groups[0].Count != 3 || task.KillTimeout != structs.Duration(90*time.Second) || task.Resources.CPU != 500 {
		t.Errorf("count %d kill_timeout %v cpu %d", job.Groups[0].Count, task.KillTimeout, task.Resources.CPU)
	}
}

func TestHCLNullLeavesFieldUnset(t *testing.T) {
	job := parseHCLString(t, `job "j" {
  type = null
  group "g" {
    count = null
    task "t" { driver = "exec" }
  }
}`)
	if job.Type != "" || job.Groups[0].Count != 1 {
		t.Errorf("null should leave defaults: type %q count %d", job.Type, job.Groups[0].Count)
	}
}
