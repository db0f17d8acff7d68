package jobspec

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// The one-line block style of the docs parses to the same job as the
// multi-line form.
func TestOneLineBlocks(t *testing.T) {
	oneLine := `job "j" { type = "batch"  group "g" { count = 3  task "t" { driver = "exec"  config { command = "/bin/true"  args = ["a", "b"] } }}}
job_note_is_not_here = 1`
	multi := `job "j" {
  type = "batch"
  group "g" {
    count = 3
    task "t" {
      driver = "exec"
      config {
        command = "/bin/true"
        args    = ["a", "b"]
      }
    }
  }
}`
	// The trailing stray argument proves that the positions of errors
	// after inserted line breaks still point into the user's file.
	_, err := Parse("one.hcl", []byte(oneLine), "hcl")
	if err == nil || !strings.Contains(err.Error(), `one.hcl:2,1-21: Unsupported argument; An argument named "job_note_is_not_here"`) {
		t.Fatalf("want the stray argument reported at line 2, got %v", err)
	}
	got, err := Parse("one.hcl", []byte(strings.SplitN(oneLine, "\n", 2)[0]), "hcl")
	if err != nil {
		t.Fatal(err)
	}
	want := parseHCLString(t, multi)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("one-line job differs:\n got %+v\nwant %+v", got, want)
	}
}

func TestOneLineConstraintAsInDesign(t *testing.T) {
	job := parseHCLString(t, `job "api" {
  group "api" {
    constraint { attribute = "${meta.rack}"  operator = "glob"  value = "r[12]" }
    task "api" {
      driver  = "docker"
      resources { cpu = 100  memory = 64 }
      env = { A = "1", B = "2" }
    }
  }
}`)
	g := job.Groups[0]
	if want := (&structs.Constraint{Attribute: "${meta.rack}", Operator: "glob", Value: "r[12]"}); !reflect.DeepEqual(g.Constraints[0], want) {
		t.Errorf("constraint = %+v", g.Constraints[0])
	}
	task := g.Tasks[0]
	if *task.Resources != (structs.Resources{CPU: 100, MemoryMB: 64}) || task.Env["B"] != "2" {
		t.Errorf("task = %+v resources %+v", task, task.Resources)
	}
}

// Errors inside one-line blocks point at the user's columns.
func TestOneLineErrorPositions(t *testing.T) {
	src := "job \"j\" {\n  constraint { attribute = \"a\"  bogus = 1  value = \"x\" }\n}\n"
	_, err := Parse("c.hcl", []byte(src), "hcl")
	want := `c.hcl:2,33-38: Unsupported argument; An argument named "bogus" is not expected here.`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	// A syntax error after an inserted break is reported where it is.
	src = "job \"j\" { group \"g\" { count = 1  task \"t\" { driver = } } }\n"
	_, err = Parse("s.hcl", []byte(src), "hcl")
	if err == nil || !strings.Contains(err.Error(), "s.hcl:1,54-54: Invalid expression") {
		t.Fatalf("got %v", err)
	}
}

func TestSplitLeavesMultiLineHCLAlone(t *testing.T) {
	for _, path := range []string{"testdata/hello.hcl"} {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out, inserted := splitOneLineBlocks(src, path)
		if len(inserted) != 0 || string(out) != string(src) {
			t.Errorf("%s: inserted line breaks at %v into a multi-line file", path, inserted)
		}
	}
	// Values that span lines or hold braces are not split.
	src := []byte("job \"j\" {\n  meta = { a = \"}\", b = \"${x}\" }\n  datacenters = [\n    \"a\",\n  ]\n  name = <<EOT\n{ x = 1 }\nEOT\n}\n")
	if _, inserted := splitOneLineBlocks(src, "x.hcl"); len(inserted) != 0 {
		t.Errorf("split inside values at %v", inserted)
	}
}
