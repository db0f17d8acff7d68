package command

import (
	"strings"
	"testing"

	"github.com/mitchellh/cli"
)

// TestJobValidateDriverConfig: a typo in a built-in driver's config block
// is a validation error naming the nearest key, not a task that fails on
// its node; a third-party driver's config is left to its node.
func TestJobValidateDriverConfig(t *testing.T) {
	for _, tc := range []struct {
		name, hcl string
		code      int
		want      []string
	}{
		{"typo", `job "j" { group "g" { task "t" { driver = "exec"  config { comand = "/bin/date" } } } }`, 1,
			[]string{`unknown key "comand" for driver "exec"; did you mean "command"?`, "valid keys: args, command, isolation, stdin, work_dir",
				`command is required for driver "exec"`}},
		{"docker without image", `job "j" { group "g" { task "t" { driver = "docker"  config { imag = "redis" } } } }`, 1,
			[]string{`did you mean "image"?`, `image is required for driver "docker"`}},
		{"good raw_exec", `job "j" { group "g" { task "t" { driver = "raw_exec"  config { command = "/bin/date" } } } }`, 0,
			[]string{"Job validation successful"}},
		{"plugin driver", `job "j" { group "g" { task "t" { driver = "my-plugin"  config { anything = 1 } } } }`, 0,
			[]string{"Job validation successful"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "j.hcl", tc.hcl+"\n")
			code, out, stderr := runCmd(cli.NewMockUi(), "job", "validate", path)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stdout %q; stderr %q", code, tc.code, out, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(out+stderr, w) {
					t.Errorf("output lacks %q; stdout %q; stderr %q", w, out, stderr)
				}
			}
		})
	}
}
