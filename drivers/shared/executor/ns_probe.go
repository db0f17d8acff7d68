package executor

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// nsProbeArg0 is the argv[0] under which the plugin's binary checks, in
// new PID and mount namespaces, that it may mount there (see ProbeNamespaces).
const nsProbeArg0 = "appmesh-ns-probe"

// nsProbeMain runs in the probe process: making / private is the first
// mount an isolated task's init does, and needs CAP_SYS_ADMIN.
func nsProbeMain() int {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		fmt.Fprintf(os.Stderr, "making mounts private in a new mount namespace: %v", err)
		return 1
	}
	return 0
}

// ProbeNamespaces reports why this process cannot give tasks their own
// PID and mount namespaces, or nil. Inside a container without
// CAP_SYS_ADMIN (no --privileged), for one, creating them is refused.
func ProbeNamespaces() error {
	var stderr bytes.Buffer
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        []string{nsProbeArg0},
		Env:         []string{"GOMAXPROCS=1"},
		Stderr:      &stderr,
		SysProcAttr: &syscall.SysProcAttr{Cloneflags: nsCloneFlags},
	}
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("%s", msg)
		}
		return fmt.Errorf("creating PID and mount namespaces: %w", err)
	}
	return nil
}
