package command

import (
	"os"
	"strings"
	"testing"

	"github.com/mitchellh/cli"
)

// varsJobHCL needs var.cmd, which has no default, and checks var.count.
const varsJobHCL = `variable "cmd" {
  type = string
}
variable "count" {
  type    = number
  default = 1
  validation {
    condition     = var.count < 10
    error_message = "At most 9 copies."
  }
}
job "vars" {
  group "g" {
    count = var.count
    task "t" {
      driver = "raw_exec"
      config { command = var.cmd }
    }
  }
}
`

func TestJobValidateVariables(t *testing.T) {
	job := writeFile(t, "vars.hcl", varsJobHCL)
	good := writeFile(t, "good.vars", "cmd = \"/bin/true\"\n")
	tooMany := writeFile(t, "many.json", `{"count": 12}`)
	for _, tc := range []struct {
		name string
		env  string // APPMESH_VAR_count
		args []string
		code int
		want string
	}{
		{"flag", "", []string{"-var", "cmd=/bin/true"}, 0, "Job validation successful"},
		{"flag after file", "", []string{job, "-var", "cmd=/bin/true"}, 0, "Job validation successful"},
		{"var file", "", []string{"-var-file", good}, 0, "Job validation successful"},
		{"missing value", "", nil, 1, `Variable "cmd" has no default`},
		{"env then file then flag", "20", []string{"-var-file", good, "-var-file", tooMany, "-var", "count=3"}, 0, "Job validation successful"},
		{"env fails validation", "20", []string{"-var", "cmd=/bin/true"}, 1, "At most 9 copies."},
		{"var file overrides env", "2", []string{"-var", "cmd=x", "-var-file", tooMany}, 1, "value from " + tooMany + ":1): At most 9 copies."},
		{"unknown -var", "", []string{"-var", "cmd=x", "-var", "comd=y"}, 1, `declares no variable "comd"`},
		{"malformed -var", "", []string{"-var", "cmd"}, 2, `-var "cmd": expected name=value`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("APPMESH_VAR_count", tc.env) // restored after the test
			if tc.env == "" {
				// Set but empty would be a value: an invalid number.
				os.Unsetenv("APPMESH_VAR_count")
			}
			args := append([]string{"job", "validate"}, tc.args...)
			if len(tc.args) == 0 || tc.args[0] != job {
				args = append(args, job)
			}
			code, out, stderr := runCmd(cli.NewMockUi(), args...)
			if code != tc.code || !strings.Contains(out+stderr, tc.want) {
				t.Fatalf("exit %d (want %d); stdout %q; stderr %q; want %q", code, tc.code, out, stderr, tc.want)
			}
		})
	}
}

// TestJobRunVariables checks that job run submits the values of -var.
func TestJobRunVariables(t *testing.T) {
	t.Setenv("APPMESH_VAR_count", "") // restored after the test
	os.Unsetenv("APPMESH_VAR_count")  // the value must come from the flag
	f, ui := newFakeCluster(t)
	path := writeFile(t, "vars.hcl", varsJobHCL)
	code, _, stderr := runCmd(ui, "job", "run", "-detach", "-var", "cmd=/bin/sleep", "-var", "count=3", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f.locked(func() {
		job := f.jobs["vars"]
		if job == nil {
			t.Fatal("job not registered")
		}
		g := job.Groups[0]
		if g.Count != 3 || g.Tasks[0].Config["command"] != "/bin/sleep" {
			t.Fatalf("count %d, config %v: the -var values were not used", g.Count, g.Tasks[0].Config)
		}
	})
}
