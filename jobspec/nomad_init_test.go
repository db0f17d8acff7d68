package jobspec

import (
	"os"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/internal/testutil"
)

// readUnsupported reads testdata/nomad/unsupported.txt.
func readUnsupported(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("testdata/nomad/unsupported.txt")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		if line = strings.TrimSpace(line); line != "" {
			paths = append(paths, line)
		}
	}
	return paths
}

// TestNomadInitExamples: job files in Nomad's syntax using every block and
// attribute of `nomad job init`'s two examples parse and validate, once the
// parts listed in unsupported.txt are taken out; the untouched files have
// no problem but those.
func TestNomadInitExamples(t *testing.T) {
	unsupported := readUnsupported(t)
	for _, name := range []string{"init-short.nomad.hcl", "init-full.nomad.hcl"} {
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile("testdata/nomad/" + name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Parse(name, src, ""); err != nil {
				for _, line := range strings.Split(err.Error(), "\n") {
					if line = strings.TrimSpace(line); line == "" || strings.HasSuffix(line, "problems:") {
						continue
					}
					if !mentionsAny(line, unsupported) {
						t.Errorf("problem outside unsupported.txt: %s", line)
					}
				}
			} else {
				t.Logf("%s parses unchanged", name)
			}
			stripped, err := testutil.StripHCL(src, unsupported)
			if err != nil {
				t.Fatal(err)
			}
			job, err := Parse(name, stripped, "")
			if err != nil {
				t.Fatalf("without the unsupported parts: %v", err)
			}
			job.Canonicalize()
			if err := job.Validate(); err != nil {
				t.Fatalf("validate: %v", err)
			}
		})
	}
}

// mentionsAny reports whether a parse problem is about the last name of
// one of the paths ("identity" for job.group.task.identity).
func mentionsAny(problem string, paths []string) bool {
	for _, p := range paths {
		name := p[strings.LastIndex(p, ".")+1:]
		if strings.Contains(problem, `"`+name+`"`) || strings.Contains(problem, "`"+name+"`") {
			return true
		}
	}
	return false
}
