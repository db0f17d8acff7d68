package exec_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/exec"
)

// hostMarker is a file on the host, outside anything an isolated task is
// given, that such a task must not see.
func hostMarker(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/var/tmp", "appmesh-host-marker-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := filepath.Join(dir, "marker")
	if err := os.WriteFile(p, []byte("host"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// hostMountsMentioning lists the host's mounts whose line contains s: an
// isolated task's mounts live only in its own namespace.
func hostMountsMentioning(t *testing.T, s string) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

func stateDir(id string) string {
	return filepath.Join("/run/appmesh-exec", strings.ReplaceAll(id, "/", "_"))
}

// An isolated task sees its own directory and the read-only chroot_env, not
// the rest of the host; its /proc shows only its own processes, with its
// init as PID 1; and nothing of its root shows in the host's mount table.
func TestIsolatedTaskView(t *testing.T) {
	d := newExec(t)
	marker := hostMarker(t)
	script := fmt.Sprintf(`
echo task-file > own
cat own
test -e %s && echo SEES-HOST-MARKER
touch /usr/appmesh-probe 2>/dev/null && echo WROTE-USR
touch /appmesh-probe 2>/dev/null && echo WROTE-ROOT
echo tmp > /tmp/x && echo tmp-ok
echo "pid1=$(tr '\0' ' ' < /proc/1/cmdline)"
echo "self=$$"
echo "procs=$(ls /proc | grep -c '^[0-9]')"
sleep 300
`, marker)
	cfg := task(t, "iso/view", nil, "/bin/sh", "-c", script)
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatal(err)
	}
	defer d.DestroyTask(cfg.ID, true)
	out := waitOutput(t, cfg, "procs=")
	// The init, the shell, and the subshell, ls and grep of the count
	// (grep may or may not have started when ls reads /proc, and the shell
	// may not fork a subshell): the host's hundreds of processes are not
	// there.
	if n := procCount(out); n < 3 || n > 6 {
		t.Errorf("the task sees %d processes, want 3 to 6 (its own):\n%s", n, out)
	}
	for _, want := range []string{"task-file\n", "tmp-ok\n", "pid1=appmesh-task-init"} {
		if !strings.Contains(out, want) {
			t.Errorf("task output lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"SEES-HOST-MARKER", "WROTE-USR", "WROTE-ROOT", "self=1\n"} {
		if strings.Contains(out, bad) {
			t.Errorf("task output has %q:\n%s", bad, out)
		}
	}
	if b, err := os.ReadFile(filepath.Join(cfg.TaskDir, "own")); err != nil || string(b) != "task-file\n" {
		t.Errorf("the task's file in its dir on the host = %q, %v", b, err)
	}
	if m := hostMountsMentioning(t, stateDir(cfg.ID)); len(m) > 0 {
		t.Errorf("the task's mounts show on the host:\n%s", strings.Join(m, "\n"))
	}
	if err := d.StopTask(cfg.ID, 5*time.Second, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	res := waitTask(t, d, cfg.ID)
	// sh is killed by the stop signal; the init reports which one.
	if res.Signal != 15 || res.ExitCode != 143 {
		t.Errorf("exit after stop = %+v, want signal 15, code 143", res)
	}
	if _, err := os.Stat(stateDir(cfg.ID)); !os.IsNotExist(err) {
		t.Errorf("state dir %s left after the task ended: %v", stateDir(cfg.ID), err)
	}
	if m := hostMountsMentioning(t, stateDir(cfg.ID)); len(m) > 0 {
		t.Errorf("mounts left after the task ended:\n%s", strings.Join(m, "\n"))
	}
}

// procCount reads the "procs=N" line of the task's output (-1: none).
func procCount(out string) int {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "procs="); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				return n
			}
		}
	}
	return -1
}

// waitOutput waits until the task's stdout contains want.
func waitOutput(t *testing.T, cfg *drivers.TaskConfig, want string) string {
	t.Helper()
	var out string
	waitUntil(t, "task output "+want, func() bool {
		b, _ := os.ReadFile(cfg.StdoutPath)
		out = string(b)
		return strings.Contains(out, want)
	}, func() string {
		e, _ := os.ReadFile(cfg.StderrPath)
		return fmt.Sprintf("stdout %q, stderr %q", out, e)
	})
	return out
}

// A command exec'd into an isolated task runs in the task's namespaces: it
// sees the same root and the same processes, and is not PID 1.
func TestExecSeesTaskView(t *testing.T) {
	d := newExec(t)
	marker := hostMarker(t)
	cfg := task(t, "iso/exec", nil, "/bin/sh", "-c", "echo inside > seen; exec sleep 300")
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatal(err)
	}
	defer d.DestroyTask(cfg.ID, true)
	waitUntil(t, "the task's file", func() bool {
		_, err := os.Stat(filepath.Join(cfg.TaskDir, "seen"))
		return err == nil
	}, func() string { return "" })
	r, err := d.ExecTask(cfg.ID, []string{"/bin/sh", "-c", fmt.Sprintf(
		`cat seen; test -e %s && echo SEES-HOST-MARKER; tr '\0' ' ' < /proc/1/cmdline; echo; cat /proc/[0-9]*/comm; ls /proc | grep -c '^[0-9]'`, marker)}, 20*time.Second)
	if err != nil {
		t.Fatalf("ExecTask: %v", err)
	}
	out := string(r.Stdout)
	// cat, sh (ours), sleep and the init; ls and grep also show up while
	// ls lists /proc, so count at least four.
	for _, want := range []string{"inside\n", "appmesh-task-init", "sleep\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("exec output lacks %q:\n%s\nstderr %s", want, out, r.Stderr)
		}
	}
	if strings.Contains(out, "SEES-HOST-MARKER") {
		t.Errorf("exec'd command sees the host:\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var n int
	fmt.Sscan(lines[len(lines)-1], &n)
	if n < 3 || n > 8 {
		t.Errorf("exec'd command sees %d processes, want the task's few:\n%s", n, out)
	}
}

// Signals reach the task's main process (not only its init), and a task
// recovered by a new driver instance can still be signalled, exec'd into
// and stopped, and its exit code is known.
func TestIsolatedSignalAndRecover(t *testing.T) {
	d := newExec(t)
	cfg := task(t, "iso/rec", nil, "/bin/sh", "-c",
		`trap 'echo got-usr1' USR1; trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.2; done`)
	h, err := d.StartTask(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.DestroyTask(cfg.ID, true)
	waitOutput(t, cfg, "ready")
	if err := d.SignalTask(cfg.ID, "SIGUSR1"); err != nil {
		t.Fatal(err)
	}
	waitOutput(t, cfg, "got-usr1")

	// A new plugin instance re-attaches from the handle alone.
	d2 := exec.New(hclog.NewNullLogger())
	if err := d2.RecoverTask(h); err != nil {
		t.Fatalf("RecoverTask: %v", err)
	}
	r, err := d2.ExecTask(cfg.ID, []string{"/bin/sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline"}, 20*time.Second)
	if err != nil || !strings.Contains(string(r.Stdout), "appmesh-task-init") {
		t.Fatalf("exec after recovery = %+v, %v", r, err)
	}
	if err := d2.StopTask(cfg.ID, 10*time.Second, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	waitOutput(t, cfg, "got-term")
	// The first instance is still alive here (a real restart has it gone)
	// and, as the init's parent, sees the exit first and cleans up; the
	// recovered one reads the init's record if it is quicker, else it
	// reports the code unknown.
	if res := waitTask(t, d, cfg.ID); res.ExitCode != 7 || res.Signal != 0 {
		t.Errorf("exit = %+v, want code 7", res)
	}
	if res := waitTask(t, d2, cfg.ID); res.ExitCode != 7 && res.ExitCode != -1 {
		t.Errorf("recovered task's exit = %+v, want code 7 or unknown", res)
	}
}

// isolation = "none" is refused unless the client allows it; allowed, the
// task sees the host.
func TestIsolationNoneIsGated(t *testing.T) {
	d := newExec(t)
	marker := hostMarker(t)
	cfg := task(t, "iso/none", nil, "/bin/sh", "-c", "cat "+marker)
	cfg.Config["isolation"] = "none"
	if _, err := d.StartTask(cfg); err == nil || !strings.Contains(err.Error(), "raw_exec_enabled") {
		t.Fatalf("StartTask with isolation none on a client that does not allow it = %v", err)
	}
	cfg.UnisolatedAllowed = true
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatal(err)
	}
	defer d.DestroyTask(cfg.ID, true)
	if res := waitTask(t, d, cfg.ID); res.ExitCode != 0 {
		t.Fatalf("exit = %+v", res)
	}
	if b, _ := os.ReadFile(cfg.StdoutPath); string(b) != "host" {
		t.Errorf("output %q, want the host's marker", b)
	}
	cfg.ID, cfg.Config["isolation"] = "iso/bad", "chrot"
	if _, err := d.StartTask(cfg); err == nil || !strings.Contains(err.Error(), `isolation must be "chroot" or "none"`) {
		t.Errorf("a misspelt isolation: %v", err)
	}
}

// A chroot_env entry that points at nothing is skipped; one that maps a
// host dir elsewhere shows it there, read-only.
func TestChrootEnvMapping(t *testing.T) {
	d := newExec(t)
	src := filepath.Dir(hostMarker(t))
	cfg := task(t, "iso/map", nil, "/bin/sh", "-c", "cat /opt/given/marker; touch /opt/given/x || echo read-only")
	withTestBinary(cfg)
	cfg.ChrootEnv[src] = "/opt/given"
	cfg.ChrootEnv["/no/such/dir"] = "/nothing"
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatal(err)
	}
	defer d.DestroyTask(cfg.ID, true)
	res := waitTask(t, d, cfg.ID)
	out, _ := os.ReadFile(cfg.StdoutPath)
	if res.ExitCode != 0 || string(out) != "hostread-only\n" {
		errs, _ := os.ReadFile(cfg.StderrPath)
		t.Errorf("exit %+v, output %q (stderr %q)", res, out, errs)
	}
	if _, err := os.Stat(filepath.Join(src, "x")); err == nil {
		t.Error("the task wrote into a read-only chroot_env dir")
	}
}

// A task whose command lies outside its root, or whose chroot_env cannot
// be used, fails to start with the reason, and leaves nothing behind.
func TestIsolatedStartErrors(t *testing.T) {
	d := newExec(t)
	dir := filepath.Dir(hostMarker(t))
	script := filepath.Join(dir, "run.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := task(t, "iso/outside", nil, script)
	_, err := d.StartTask(cfg)
	if err == nil || !strings.Contains(err.Error(), "is not in the task's filesystem (the client's chroot_env decides what it holds)") {
		t.Fatalf("StartTask of a command outside the root = %v", err)
	}
	if _, err := os.Stat(stateDir(cfg.ID)); !os.IsNotExist(err) {
		t.Errorf("state dir left after a failed start: %v", err)
	}
	cfg = task(t, "iso/badenv", nil, "/bin/true")
	cfg.ChrootEnv = map[string]string{"relative": "/x"}
	if _, err := d.StartTask(cfg); err == nil || !strings.Contains(err.Error(), `chroot_env: "relative" = "/x": both paths must be absolute`) {
		t.Fatalf("StartTask with a relative chroot_env = %v", err)
	}
}

// A starting driver removes the state dirs of isolated tasks whose init is
// gone (a plugin killed with its tasks), and keeps those of live ones.
func TestStaleNamespaceStateSwept(t *testing.T) {
	dead := "/run/appmesh-exec/sweep-test_dead"
	live := "/run/appmesh-exec/sweep-test_live"
	for _, d := range []string{dead, live} {
		if err := os.MkdirAll(filepath.Join(d, "root"), 0o700); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(d) })
	}
	// pid_max is at most 2^22: this pid cannot run.
	if err := os.WriteFile(filepath.Join(dead, "init"), []byte("99999999 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// This test's own process, with start time 0: alive, any start.
	if err := os.WriteFile(filepath.Join(live, "init"), []byte(fmt.Sprintf("%d 0\n", os.Getpid())), 0o600); err != nil {
		t.Fatal(err)
	}
	newExec(t)
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead task's state %s survived the sweep: %v", dead, err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the live task's state was swept: %v", err)
	}
}
