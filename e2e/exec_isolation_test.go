package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An exec task, through the real agent, sees neither the host's files nor
// its processes; `alloc exec` lands in the same view; both hold across a
// client restart (the plugin re-attaches to the task's init), and the task's
// state on the host is gone once the job stops.
func TestExecIsolation(t *testing.T) {
	t.Parallel()
	a := startAgent(t, agentOptions{})
	hostDir, err := os.MkdirTemp("/var/tmp", "appmesh-e2e-host-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(hostDir) })
	hostFile := filepath.Join(hostDir, "marker")
	if err := os.WriteFile(hostFile, []byte("host"), 0o644); err != nil {
		t.Fatal(err)
	}
	sec, marker := taskSleep(75)
	a.track(marker)
	script := fmt.Sprintf(`test -e %s && echo SEES-HOST; echo "pid1=$(tr '\0' ' ' < /proc/1/cmdline)"; exec sleep %d`, hostFile, sec)
	if r := a.cli("job run", "-detach", writeFile(t, "iso.hcl", serviceHCL("iso", 1, script))); r.code != 0 {
		a.fatalf("job run: %s", r)
	}
	allocs := a.waitAllocs("iso", "the task to run", func(as []alloc) (bool, string) {
		return len(as) == 1 && as[0].ClientStatus == "running", describeAllocs(as)
	})
	id := allocs[0].ID
	logFile := filepath.Join(a.dataDir, "client", "alloc", id, "alloc", "logs", "server.stdout.0")
	a.waitFor("the task's output", func() (bool, string) {
		b, _ := os.ReadFile(logFile)
		return strings.Contains(string(b), "pid1="), string(b)
	})
	if b, _ := os.ReadFile(logFile); strings.Contains(string(b), "SEES-HOST") || !strings.Contains(string(b), "pid1=appmesh-task-init") {
		a.fatalf("task output %q: want its own init as PID 1 and no host file", b)
	}
	check := fmt.Sprintf(`test -e %s && echo SEES-HOST; tr '\0' ' ' < /proc/1/cmdline; echo; echo procs=$(ls /proc | grep -c '^[0-9]')`, hostFile)
	execView := func(when string) {
		r := a.cli("alloc exec", "-i=false", "-t=false", id, "--", "/bin/sh", "-c", check)
		if r.code != 0 || strings.Contains(r.stdout, "SEES-HOST") || !strings.Contains(r.stdout, "appmesh-task-init") {
			a.fatalf("alloc exec %s: %s", when, r)
		}
		// The init, sleep, the exec'd shell, its subshell, ls and grep.
		var n int
		_, after, _ := strings.Cut(r.stdout, "procs=")
		fmt.Sscan(after, &n)
		if n == 0 || n > 10 {
			a.fatalf("alloc exec %s sees %d processes, want the task's few: %s", when, n, r)
		}
	}
	execView("before the restart")
	a.restart()
	a.waitAllocs("iso", "the task to run under the restarted agent", func(as []alloc) (bool, string) {
		return len(as) == 1 && as[0].ClientStatus == "running", describeAllocs(as)
	})
	execView("after the restart")
	if r := a.cli("job stop", "iso"); r.code != 0 {
		a.fatalf("job stop: %s", r)
	}
	a.waitFor("the task to end with the job", func() (bool, string) {
		ps := findProcs(marker)
		return len(ps) == 0, describeProcs(ps)
	})
	state := filepath.Join("/run/appmesh-exec", id+"_server")
	a.waitFor("the task's state dir to go", func() (bool, string) {
		_, err := os.Stat(state)
		return os.IsNotExist(err), fmt.Sprint(err)
	})
	if b, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(b), id) {
		a.fatalf("mounts of the task on the host:\n%s", b)
	}
}
