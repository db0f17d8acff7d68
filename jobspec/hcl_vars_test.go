package jobspec

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// varsJob declares variables of each kind and uses them as whole values
// and inside strings, through locals and functions.
const varsJob = `variable "image" {
  type        = string
  description = "container image"
}
variable "count" {
  type    = number
  default = 2
}
variable "dcs" {
  type    = list(string)
  default = ["dc1"]
}
variable "labels" {
  type    = map(string)
  default = { tier = "web" }
}
variable "debug" {
  type    = bool
  default = false
}
locals {
  name   = "${local.prefix}-${var.image}"
  prefix = upper("app")
}
job "vars" {
  datacenters = var.dcs
  meta        = merge(var.labels, { debug = tostring(var.debug) })
  group "g" {
    count = var.count
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/echo"
        args    = ["${local.name}", "n=${var.count}", "${meta.rack}", format("%s:%d", var.image, var.count)]
      }
      env {
        IMAGE = "image ${var.image}"
        DEBUG = var.debug
      }
    }
  }
}
`

func parseVars(t *testing.T, src string, opts ParseOptions) (*structs.Job, error) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "job.hcl")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return ParseFileWithOptions(path, opts)
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHCLVariablesValues(t *testing.T) {
	job, err := parseVars(t, varsJob, ParseOptions{Vars: map[string]string{"image": "redis"}})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if !reflect.DeepEqual(job.Datacenters, []string{"dc1"}) {
		t.Errorf("datacenters = %v", job.Datacenters)
	}
	if want := map[string]string{"tier": "web", "debug": "false"}; !reflect.DeepEqual(job.Meta, want) {
		t.Errorf("meta = %v, want %v", job.Meta, want)
	}
	if job.Groups[0].Count != 2 {
		t.Errorf("count = %d, want 2", job.Groups[0].Count)
	}
	task := job.Groups[0].Tasks[0]
	wantArgs := []any{"APP-redis", "n=2", "${meta.rack}", "redis:2"}
	if !reflect.DeepEqual(task.Config["args"], wantArgs) {
		t.Errorf("args = %#v, want %#v", task.Config["args"], wantArgs)
	}
	if task.Env["IMAGE"] != "image redis" || task.Env["DEBUG"] != "false" {
		t.Errorf("env = %v", task.Env)
	}
}

// TestHCLVariablesTypesFromOutside sets a number, list, map and bool from
// -var text, which is converted to each declared type.
func TestHCLVariablesTypesFromOutside(t *testing.T) {
	job, err := parseVars(t, varsJob, ParseOptions{Vars: map[string]string{
		"image": "nginx", "count": "5", "dcs": `["a", "b"]`, "labels": `{ tier = "db" }`, "debug": "true",
	}})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if job.Groups[0].Count != 5 || !reflect.DeepEqual(job.Datacenters, []string{"a", "b"}) {
		t.Errorf("count = %d, datacenters = %v", job.Groups[0].Count, job.Datacenters)
	}
	if want := map[string]string{"tier": "db", "debug": "true"}; !reflect.DeepEqual(job.Meta, want) {
		t.Errorf("meta = %v, want %v", job.Meta, want)
	}
}

// TestHCLVariablesPrecedence: defaults < APPMESH_VAR_ env < var files in
// order < -var flags.
func TestHCLVariablesPrecedence(t *testing.T) {
	src := `variable "a" { default = "default" }
variable "b" { default = "default" }
variable "c" { default = "default" }
variable "d" { default = "default" }
variable "e" { default = "default" }
job "p" { meta = { a = var.a, b = var.b, c = var.c, d = var.d, e = var.e } }
`
	hclFile := writeTemp(t, "one.vars", "b = \"file1\"\nc = \"file1\"\nd = \"file1\"\n")
	jsonFile := writeTemp(t, "two.json", `{"c": "file2", "d": "file2"}`)
	opts := ParseOptions{
		Env:      []string{"APPMESH_VAR_a=env", "APPMESH_VAR_b=env", "APPMESH_VAR_c=env", "APPMESH_VAR_d=env", "PATH=/bin", "APPMESH_VAR_undeclared=x"},
		VarFiles: []string{hclFile, jsonFile},
		Vars:     map[string]string{"d": "flag"},
	}
	job, err := parseVars(t, src, opts)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	want := map[string]string{"a": "env", "b": "file1", "c": "file2", "d": "flag", "e": "default"}
	if !reflect.DeepEqual(job.Meta, want) {
		t.Errorf("meta = %v, want %v", job.Meta, want)
	}
}

func TestHCLVariablesFileFunction(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "motd.txt"), []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := `locals { cfg = jsondecode(file("cfg.json")) }
job "f" {
  meta = {
    motd    = trimspace(file("motd.txt"))
    port    = local.cfg.port
    hosts   = join(",", concat(local.cfg.hosts, ["c"]))
    first   = lookup(local.cfg, "missing", "none")
    biggest = max(3, 9, 4)
    name    = replace(lower("A-B"), "-", "_")
    pick    = coalesce(null, "fallback")
    parts   = length(split(",", "x,y,z"))
    json    = jsonencode({ k = "v" })
    exists  = fileexists("nope.txt")
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "cfg.json"), []byte(`{"port": 8080, "hosts": ["a", "b"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "job.hcl")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	job, err := ParseFile(path)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	want := map[string]string{
		"motd": "hello", "port": "8080", "hosts": "a,b,c", "first": "none", "biggest": "9",
		"name": "a_b", "pick": "fallback", "parts": "3", "json": `{"k":"v"}`, "exists": "false",
	}
	if !reflect.DeepEqual(job.Meta, want) {
		t.Errorf("meta = %v\nwant   %v", job.Meta, want)
	}
}

func TestHCLVariablesErrors(t *testing.T) {
	validated := `variable "port" {
  type = number
  default = 80
  validation {
    condition     = var.port > 1024
    error_message = "The port must be above 1024."
  }
}
job "v" { meta = { p = var.port } }
`
	cases := []struct {
		name  string
		src   string
		opts  ParseOptions
		files map[string]string // var files to write, given in opts.VarFiles
		want  []string
	}{
		{
			name: "undefined variable in a string",
			src:  "job \"u\" {\n  meta = { a = \"x-${var.nope}\" }\n}\n",
			want: []string{`job.hcl:2,21-29: Undefined variable; var.nope is not declared`, `variable "nope"`},
		},
		{
			name: "undefined variable as a value",
			src:  "job \"u\" {\n  datacenters = var.dcs\n}\n",
			want: []string{`job.hcl:2,17-24: Undefined variable; var.dcs is not declared`},
		},
		{
			name: "misspelt variable",
			src:  "variable \"image\" { default = \"x\" }\njob \"u\" {\n  meta = { i = var.imgae }\n}\n",
			want: []string{`job.hcl:3,16-25: Undefined variable; var.imgae is not declared in this file. Did you mean var.image?`},
		},
		{
			name: "undefined local",
			src:  "job \"u\" {\n  type = local.kind\n}\n",
			want: []string{`job.hcl:2,10-20: Undefined local value; local.kind is not defined`},
		},
		{
			name: "missing value",
			src:  "variable \"image\" {\n  type = string\n}\njob \"m\" { meta = { i = var.image } }\n",
			want: []string{`job.hcl:1,1-17: Missing variable value; Variable "image" has no default`, `-var 'image=...'`, `APPMESH_VAR_image`},
		},
		{
			name: "type mismatch from -var",
			src:  validated,
			opts: ParseOptions{Vars: map[string]string{"port": "eighty"}},
			want: []string{`Invalid value for variable; The value of variable "port" from -var port=... is not a valid number`},
		},
		{
			name: "type mismatch in default",
			src:  "variable \"n\" {\n  type = number\n  default = \"x\"\n}\njob \"d\" {}\n",
			want: []string{`job.hcl:3,13-16: Invalid default value; The default of variable "n" does not match its type number`},
		},
		{
			name: "validation fails",
			src:  validated,
			want: []string{`job.hcl:5,21-36: Invalid value for variable; Variable "port" (value from its default): The port must be above 1024.`},
		},
		{
			name: "validation fails from env",
			src:  validated,
			opts: ParseOptions{Env: []string{"APPMESH_VAR_port=22"}},
			want: []string{`Variable "port" (value from environment variable APPMESH_VAR_port): The port must be above 1024.`},
		},
		{
			name: "unknown -var",
			src:  validated,
			opts: ParseOptions{Vars: map[string]string{"prot": "8080"}},
			want: []string{`Undefined variable; -var prot=...: the job file`, `declares no variable "prot" (declared: port). Did you mean "port"?`},
		},
		{
			name:  "unknown name in a var file",
			src:   validated,
			files: map[string]string{"bad.vars": "port = 2000\nimage = \"x\"\n"},
			want:  []string{`bad.vars:2,1-6: Undefined variable; The job file declares no variable "image"`},
		},
		{
			name: "missing var file",
			src:  validated,
			opts: ParseOptions{VarFiles: []string{"/nonexistent/x.vars"}},
			want: []string{`Cannot read variable file; -var-file /nonexistent/x.vars`},
		},
		{
			name: "locals cycle",
			src:  "locals {\n  a = local.b\n  b = \"${local.a}x\"\n}\njob \"c\" {}\n",
			want: []string{`job.hcl:2,3-4: Cycle in local values; Local values refer to each other in a cycle: local.a -> local.b -> local.a.`},
		},
		{
			name: "mixed interpolation",
			src:  "variable \"x\" { default = \"a\" }\njob \"x\" { meta = { a = \"${lookup(var.x, meta.rack)}\" } }\n",
			want: []string{`Mixed interpolation`},
		},
		{
			name: "list in a string",
			src:  "variable \"l\" { default = [\"a\"] }\njob \"l\" { meta = { a = \"x${var.l}\" } }\n",
			want: []string{`Invalid template interpolation value`, `join(...)`},
		},
		{
			name: "file not found",
			src:  "job \"f\" { meta = { a = file(\"nope.txt\") } }\n",
			want: []string{`Error in function call`, `nope.txt`},
		},
		{
			name: "duplicate variable",
			src:  "variable \"a\" {}\nvariable \"a\" {}\njob \"d\" {}\n",
			want: []string{`job.hcl:2,10-13: Duplicate variable; Variable "a" is already declared at line 1.`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			for name, content := range tc.files {
				opts.VarFiles = append(opts.VarFiles, writeTemp(t, name, content))
			}
			_, err := parseVars(t, tc.src, opts)
			if err == nil {
				t.Fatalf("expected an error containing %q", tc.want)
			}
			if !structs.IsValidation(err) {
				t.Errorf("error is not a validation error: %T", err)
			}
			assertInOrder(t, err.Error(), tc.want)
			if strings.Contains(err.Error(), "${var.") && tc.name != "mixed interpolation" {
				t.Errorf("error shows literal ${var.…} text: %v", err)
			}
		})
	}
}

// TestHCLVariablesJSONJobRefusesVars: a JSON job has no variables, so
// values for them are a mistake to report.
func TestHCLVariablesJSONJobRefusesVars(t *testing.T) {
	_, err := ParseWithOptions("job.json", []byte(`{"id": "j"}`), FormatJSON, ParseOptions{Vars: map[string]string{"a": "b"}})
	if err == nil || !strings.Contains(err.Error(), "apply only to HCL job files") {
		t.Fatalf("err = %v", err)
	}
	if _, err := ParseWithOptions("job.json", []byte(`{"id": "j"}`), FormatJSON, ParseOptions{Env: []string{"APPMESH_VAR_a=b"}}); err != nil {
		t.Fatalf("environment variables must not break JSON jobs: %v", err)
	}
}

// TestHCLVariablesFileNeedsAFile: a job given as bytes (which may come
// from anywhere) cannot read the parsing process's files.
func TestHCLVariablesFileNeedsAFile(t *testing.T) {
	_, err := Parse("job.hcl", []byte(`job "f" { meta = { a = file("/etc/hostname") } }`), FormatHCL)
	if err == nil || !strings.Contains(err.Error(), "file functions are available only in a job read from a file") {
		t.Fatalf("err = %v", err)
	}
}

// TestHCLVariablesInTemplates covers heredocs, directives, escapes and
// one-line variable blocks.
func TestHCLVariablesInTemplates(t *testing.T) {
	src := `variable "env" { type = string  default = "prod" }
variable "hosts" { default = ["a", "b"] }
job "t" {
  meta = {
    escaped = "$${var.env}"
    mode    = "%{ if var.env == "prod" }strict%{ else }loose%{ endif }"
    list    = "%{ for h in var.hosts }${h};%{ endfor }"
    runtime = "${attr.kernel.name}-${var.env}"
    script  = <<EOT
run --env=${var.env} --rack=${meta.rack}
EOT
  }
}
`
	job, err := parseVars(t, src, ParseOptions{})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	want := map[string]string{
		"escaped": "${var.env}",
		"mode":    "strict",
		"list":    "a;b;",
		"runtime": "${attr.kernel.name}-prod",
		"script":  "run --env=prod --rack=${meta.rack}\n",
	}
	if !reflect.DeepEqual(job.Meta, want) {
		t.Errorf("meta = %#v\nwant   %#v", job.Meta, want)
	}
}
