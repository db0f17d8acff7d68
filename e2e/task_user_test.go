package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// userBatchHCL is a batch job whose one task runs script as user.
func userBatchHCL(id, user, script string) string {
	return strings.Replace(batchHCL(id, script), `driver = "exec"`,
		fmt.Sprintf("driver = \"exec\"\n      user   = %q", user), 1)
}

// A task with user = "nobody" runs and writes into its own task directory
// out of the box: on a plain dev agent (which makes a 0700 temporary data
// dir) and on an agent given a 0700 -data-dir. Before the fix the task's
// directory belonged to root, so the task could not write there.
func TestTaskAsNobodyOwnsItsTaskDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: running a task as another user needs root (the agent switches user); run the e2e tests as root")
	}
	private := func(t *testing.T) string {
		dir, err := os.MkdirTemp("", "appmesh-e2e-private-") // mode 0700
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(dir) })
		return dir
	}
	for _, tc := range []struct {
		name string
		opts func(t *testing.T) agentOptions
	}{
		{"dev agent with its own temp dir", func(t *testing.T) agentOptions {
			return agentOptions{dev: true, ownTempDir: true}
		}},
		{"agent with a 0700 data dir", func(t *testing.T) agentOptions {
			return agentOptions{dataDir: private(t)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := startAgent(t, tc.opts(t))
			script := `set -e; id -un; echo written > out.txt; mkdir sub; echo nested > sub/f; stat -c '%U' . out.txt sub/f`
			if r := a.cli("job run", writeFile(t, "nob.hcl", userBatchHCL("nob", "nobody", script))); r.code != 0 {
				a.fatalf("job run: want exit 0\n%s", r)
			}
			allocs := a.waitAllocs("nob", "the task to finish", func(as []alloc) (bool, string) {
				if len(as) != 1 {
					return false, describeAllocs(as)
				}
				s := as[0].ClientStatus
				return s == "complete" || s == "failed", describeAllocs(as)
			})
			logs := a.cli("alloc logs", allocs[0].ID, "t")
			errs := a.cli("alloc logs", "-stderr", allocs[0].ID, "t")
			if allocs[0].ClientStatus != "complete" {
				a.fatalf("task as nobody: status %s, want complete\nstdout: %s\nstderr: %s",
					allocs[0].ClientStatus, logs.stdout, errs.stdout)
			}
			want := "nobody\nnobody\nnobody\nnobody\n"
			if logs.stdout != want {
				t.Errorf("task output = %q, want %q (its user, then the owner of its dir and files)\nstderr: %s",
					logs.stdout, want, errs.stdout)
			}
		})
	}
}
