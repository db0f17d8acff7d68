package jobspec

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// FuzzParseHCL checks that no input makes the HCL decoder panic, and that
// it returns either a job or an error, never both or neither.
func FuzzParseHCL(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.hcl")
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(src))
	}
	for _, seed := range []string{
		`job "j" { group "g" { count = 3  task "t" { driver = "exec" } } }`,
		`job "j" { constraint { attribute = "${meta.rack}"  operator = "glob"  value = "r[12]" } }`,
		"job \"j\" {\n  meta = { a = \"%{ if true }x%{ endif }\" }\n}",
		"job \"j\" {\n  name = <<EOT\n${x} $${y}\nEOT\n}",
		`job "j" { group "g" { task "t" { config { a "b" "c" { d = [1, {e = null}] } } } } }`,
		`job { }`,
		`job "a" "b" { version = 1 }`,
		`{"id": "json-looking"}`,
		"variable \"n\" {\n  type = number\n  default = 2\n  validation {\n    condition = var.n > 0\n    error_message = \"no\"\n  }\n}\nlocals { a = \"${var.n}-${local.b}\"  b = upper(\"x\") }\njob \"j\" { group \"g\" { count = var.n } meta = { a = local.a } }",
		"locals { a = local.b\n b = local.a }\njob \"j\" {}",
		"job \"j\" { group \"g\" {\n volume \"d\" { type = \"host\"  source = \"s\"  per_alloc = true }\n ephemeral_disk { size = 10  sticky = true }\n task \"t\" {\n volume_mount { volume = \"d\"  destination = \"/d\" }\n } } }",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		job, err := Parse("fuzz.hcl", []byte(src), "hcl")
		if (job == nil) == (err == nil) {
			t.Fatalf("job %v and error %v: want exactly one", job, err)
		}
		if err != nil && !structs.IsValidation(err) {
			t.Fatalf("error is not a validation error: %T %v", err, err)
		}
	})
}

// FuzzStrictDecodeJSON checks that the strict decoder never panics and
// never accepts what encoding/json rejects.
func FuzzStrictDecodeJSON(f *testing.F) {
	for _, path := range []string{"testdata/hello.json", "testdata/hello-bare.json", "testdata/nomad/api-job.json"} {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(src))
	}
	f.Add(jsonJobWithProblems)
	f.Add(`{"job": {"id": "x"}, "auth_token": 1, "namespace": "n"}`)
	f.Add(`{"id": "x", "groups": [{"name": "g", "Count": 1.5, "tasks": [{"kill_timeout": null}]}]}`)
	f.Fuzz(func(t *testing.T, src string) {
		var req structs.JobRegisterRequest
		_ = StrictDecodeJSON("fuzz.json", []byte(src), &req)
		job, err := Parse("fuzz.json", []byte(src), "json")
		if (job == nil) == (err == nil) {
			t.Fatalf("job %v and error %v: want exactly one", job, err)
		}
	})
}
