package executor

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The init and the probe touch mounts; run by hand outside new namespaces
// (not PID 1) they refuse instead of remounting the host's tree.
func TestNSInitRefusesOutsideItsNamespaces(t *testing.T) {
	for _, arg0 := range []string{nsInitArg0, nsProbeArg0} {
		cmd := &exec.Cmd{Path: os.Args[0], Args: []string{arg0}}
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "only the exec driver starts this") {
			t.Errorf("%s outside namespaces: %v, output %q", arg0, err, out)
		}
	}
}
