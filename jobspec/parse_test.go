package jobspec

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

func mustParseFile(t *testing.T, path string) *structs.Job {
	t.Helper()
	job, err := ParseFile(path)
	if err != nil {
		t.Fatalf("ParseFile(%s): %v", path, err)
	}
	return job
}

// The DESIGN.md minimal job must decode to the same structs.Job from HCL,
// from the PUT /v1/jobs body and from a bare JSON job.
func TestMinimalJobSameInHCLAndJSON(t *testing.T) {
	fromHCL := mustParseFile(t, "testdata/hello.hcl")
	want := &structs.Job{
		ID:   "hello",
		Type: "service",
		Groups: []*structs.TaskGroup{{
			Name:  "web",
			Count: 2,
			Tasks: []*structs.Task{{
				Name:   "server",
				Driver: "exec",
				Config: map[string]any{
					"command": "/bin/sh",
					"args":    []any{"-c", "echo hello; exec sleep 3600"},
				},
				Resources: &structs.Resources{CPU: 100, MemoryMB: 64},
			}},
		}},
	}
	if !reflect.DeepEqual(fromHCL, want) {
		t.Fatalf("HCL job before Canonicalize:\n got %#v\nwant %#v", fromHCL, want)
	}
	fromHCL.Canonicalize()
	for _, path := range []string{"testdata/hello.json", "testdata/hello-bare.json"} {
		fromJSON := mustParseFile(t, path)
		fromJSON.Canonicalize()
		if !reflect.DeepEqual(fromHCL, fromJSON) {
			t.Errorf("%s differs from hello.hcl after Canonicalize:\nHCL  %+v\nJSON %+v", path, fromHCL, fromJSON)
		}
	}
	if err := fromHCL.Validate(); err != nil {
		t.Errorf("minimal job should validate: %v", err)
	}
}

func TestParseFormatSelection(t *testing.T) {
	dir := t.TempDir()
	jsonSrc, err := os.ReadFile("testdata/hello.json")
	if err != nil {
		t.Fatal(err)
	}
	hclSrc, err := os.ReadFile("testdata/hello.hcl")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		file string
		src  []byte
	}{
		{"job.json", jsonSrc},
		{"job.JSON", jsonSrc},
		{"job.hcl", hclSrc},
		{"job.nomad", hclSrc},
		{"job.hcl", append([]byte("\n  \t"), jsonSrc...)}, // JSON content wins over the extension
		{"job", jsonSrc},
		{"bom.hcl", append([]byte{0xEF, 0xBB, 0xBF}, hclSrc...)},
	}
	for _, tc := range cases {
		path := filepath.Join(dir, tc.file)
		if err := os.WriteFile(path, tc.src, 0o600); err != nil {
			t.Fatal(err)
		}
		job := mustParseFile(t, path)
		if job.ID != "hello" || len(job.Groups) != 1 || job.Groups[0].Count != 2 {
			t.Errorf("%s: unexpected job %+v", tc.file, job)
		}
	}
}

func TestParseExplicitFormat(t *testing.T) {
	hclSrc, _ := os.ReadFile("testdata/hello.hcl")
	if _, err := Parse("x", hclSrc, "json"); err == nil {
		t.Error("HCL parsed as JSON should fail")
	}
	if _, err := Parse("x", hclSrc, "HCL"); err != nil {
		t.Errorf("format is case-insensitive: %v", err)
	}
	_, err := Parse("x", hclSrc, "yaml")
	if err == nil || !strings.Contains(err.Error(), `unknown job file format "yaml"`) {
		t.Errorf("unknown format: got %v", err)
	}
}

func TestParseFileMissing(t *testing.T) {
	_, err := ParseFile(filepath.Join(t.TempDir(), "nope.hcl"))
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "nope.hcl") {
		t.Fatalf("want a not-exist error naming the file, got %v", err)
	}
}

// Parse leaves validation to the caller; these jobs parse but must not validate.
func TestParseThenValidate(t *testing.T) {
	cases := []struct {
		name, src, wantErr string
	}{
		{
			name:    "negative count",
			src:     `job "j" { group "web" { count = -1  task "server" { driver = "exec" } } }`,
			wantErr: `group "web": count must not be negative (got -1)`,
		},
		{
			name:    "missing driver",
			src:     `job "j" { group "web" { task "server" { user = "nobody" } } }`,
			wantErr: `group "web": task "server": driver is required`,
		},
		{
			name:    "missing driver in JSON",
			src:     `{"job": {"id": "j", "groups": [{"name": "web", "tasks": [{"name": "server"}]}]}}`,
			wantErr: `group "web": task "server": driver is required`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job, err := Parse("job.hcl", []byte(tc.src), "")
			if err != nil {
				t.Fatalf("parse should succeed, got %v", err)
			}
			job.Canonicalize()
			err = job.Validate()
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("Validate: got %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestCountDefault(t *testing.T) {
	cases := []struct {
		name, src string
		want      int
	}{
		{"HCL absent", `job "j" { group "g" { task "t" { driver = "exec" } } }`, 1},
		{"HCL zero", `job "j" { group "g" { count = 0  task "t" { driver = "exec" } } }`, 0},
		{"JSON absent", `{"id": "j", "groups": [{"name": "g", "tasks": [{"name": "t", "driver": "exec"}]}]}`, 1},
		{"JSON zero", `{"id": "j", "groups": [{"name": "g", "count": 0, "tasks": [{"name": "t", "driver": "exec"}]}]}`, 0},
	}
	for _, tc := range cases {
		job, err := Parse("j", []byte(tc.src), "")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := job.Groups[0].Count; got != tc.want {
			t.Errorf("%s: count = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestParseFullHCLJob(t *testing.T) {
	job := mustParseFile(t, "testdata/api-supported.hcl")
	if !reflect.DeepEqual(job.Datacenters, []string{"dc1", "dc2"}) || job.Priority != 70 {
		t.Errorf("datacenters/priority: %v %d", job.Datacenters, job.Priority)
	}
	if job.Meta["owner"] != "team-a" {
		t.Errorf("meta: %v", job.Meta)
	}
	wantJobConstraint := &structs.Constraint{Attribute: "${attr.kernel.name}", Value: "linux"}
	if len(job.Constraints) != 1 || !reflect.DeepEqual(job.Constraints[0], wantJobConstraint) {
		t.Errorf("job constraints: %+v", job.Constraints)
	}
	g := job.Groups[0]
	wantGroupConstraint := &structs.Constraint{Attribute: "${meta.rack}", Operator: "glob", Value: "r[12]"}
	if g.Count != 1 || len(g.Constraints) != 1 || !reflect.DeepEqual(g.Constraints[0], wantGroupConstraint) {
		t.Errorf("group: count %d constraints %+v", g.Count, g.Constraints)
	}
	task := g.Tasks[0]
	if task.KillTimeout != structs.Duration(10*time.Second) || task.KillSignal != "SIGTERM" || task.User != "nobody" {
		t.Errorf("task scalars: %+v", task)
	}
	if want := map[string]string{"RACK": "${meta.rack}", "PORT": "8080"}; !reflect.DeepEqual(task.Env, want) {
		t.Errorf("env = %v, want %v", task.Env, want)
	}
	if !reflect.DeepEqual(task.Resources, &structs.Resources{CPU: 500, MemoryMB: 256}) {
		t.Errorf("resources: %+v", task.Resources)
	}
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Errorf("validate: %v", err)
	}
}
