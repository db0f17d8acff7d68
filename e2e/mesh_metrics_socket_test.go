package e2e

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// checkProxyMetricsSocket checks how the injected proxy (or gateway) task
// of an allocation serves its /metrics, which have no ACL check of their
// own: on the 0600 Unix socket in its task directory, never on a port the
// allocation reserves for it, and out of reach of another local user.
func checkProxyMetricsSocket(t *testing.T, a *agent, allocID, task string) {
	t.Helper()
	dir := filepath.Join(a.dataDir, "client", "alloc", allocID, task)
	sock := filepath.Join(dir, "metrics.sock")
	a.waitFor(task+"'s metrics socket", func() (bool, string) {
		fi, err := os.Lstat(sock)
		if err != nil {
			return false, err.Error()
		}
		return fi.Mode()&fs.ModeSocket != 0 && fi.Mode().Perm() == 0o600, fi.Mode().String()
	})
	var al struct {
		AllocatedPorts []struct {
			Label string `json:"label"`
			Value int    `json:"value"`
		} `json:"allocated_ports"`
	}
	a.getJSON("/v1/allocation/"+allocID, &al)
	for _, p := range al.AllocatedPorts {
		if strings.HasSuffix(p.Label, "-metrics") {
			t.Errorf("allocation %s reserves a metrics port %s = %d: metrics must be on the socket only", allocID, p.Label, p.Value)
		}
	}
	for _, p := range findProcs(allocID) {
		if strings.Contains(p.cmdline, " connect proxy ") && !strings.Contains(p.cmdline, " -metrics-addr unix:"+sock) {
			t.Errorf("proxy process of %s does not serve its metrics on %s: %q", task, sock, p.cmdline)
		}
	}
	checkOtherUserDenied(t, dir)
}

// checkOtherUserDenied connects to dir/metrics.sock as user nobody (uid
// 65534), from inside dir so the path's length does not matter: the
// socket's mode must refuse it, the way a loopback port never could.
func checkOtherUserDenied(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Logf("not checking that another user is refused the metrics socket: the test needs root to run a process as nobody")
		return
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Fatal("the metrics socket is probed as nobody with /usr/bin/python3, which this host lacks: `make test` installs it (make python3)")
	}
	probe := `import socket
s = socket.socket(socket.AF_UNIX)
try:
    s.connect("metrics.sock")
    print("CONNECTED")
except PermissionError:
    print("DENIED")`
	cmd := exec.Command("/usr/bin/python3", "-c", probe)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, NoSetGroups: true}}
	out, err := cmd.CombinedOutput()
	if got := strings.TrimSpace(string(out)); err != nil || got != "DENIED" {
		t.Errorf("user nobody connecting to %s/metrics.sock: %q %v, want DENIED", dir, got, fmt.Sprint(err))
	}
}
